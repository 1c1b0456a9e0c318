"""Credit commitments (信用承诺制; HLJ 42, 43 ¶2, 45, 46, 50; HRB 15, 17): the matters that
accept a written promise, the promises made, who may not promise, the two-month verification and
what a broken promise costs."""
