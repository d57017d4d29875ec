enum _Empty {}
