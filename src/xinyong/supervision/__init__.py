"""Graded supervision (HLJ 48, 49; HRB 29, 30 (2)): inspection plans, pools and the 双随机 draw."""
