"""LTI 1.3 (Core, Security Framework, NRPS 2.0): launch validation, records, roster sync."""
