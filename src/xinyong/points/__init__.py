"""Natural persons' integrity points (诚信积分, HLJ 26 ¶2): opt-in, only ever adding, used for
published incentives and never to restrict a legal right or a basic public service."""
