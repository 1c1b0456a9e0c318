"""Search: organisations by name (Chinese, two characters and more) or code;
natural persons only by exact ID number."""
