"""The course domain: courses and memberships, join codes, experiments, consent, events,
and a student's own data."""
