"""The load harness: a lab of students against the real platform (`make bench-lab`)."""
