"""Credit subjects (信用主体): natural persons, legal persons, other organisations."""
