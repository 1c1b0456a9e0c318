"""Platform-to-platform exchange (HLJ 6 ¶1, HLJ 21 ¶2, HLJ 39 ¶3, HLJ 40; HRB 7): this deployment
as one node of the network (city → province → national). Peers and their keys (`peers.py`),
signed messages (`signing.py`), the transactional outbox every change is queued in (`outbox.py`)."""
