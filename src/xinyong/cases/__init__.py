"""Rights under statutory clocks: objections, repair, complaints, revoked bases (HLJ 35-41)."""
