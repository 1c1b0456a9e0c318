"""Red list, serious-dishonesty list, published measures and the joint check (HLJ ch. 4)."""
