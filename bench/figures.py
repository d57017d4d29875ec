"""The table every benchmark script prints: a figure beside its limit, the ratio and the goal."""


class Figures:
    HEADER = ("benchmark", "figure", "limit", "limit value", "ratio", "goal")

    def __init__(self):
        self.rows = []

    def row(self, name, figure, unit, limit_name, limit, ratio, goal):
        shown = f"{figure:,.0f} {unit}" if figure >= 100 else f"{figure:.2f} {unit}"
        self.rows.append((name, shown, limit_name, limit, ratio, goal))

    def print(self):
        print()
        widths = [max(len(str(r[i])) for r in self.rows + [self.HEADER]) for i in range(6)]
        for r in [self.HEADER] + self.rows:
            print("  ".join(str(c).ljust(w) for c, w in zip(r, widths)))
