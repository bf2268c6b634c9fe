"""Pedagogy: tutoring modes, prompt building, guardrails against full solutions, classification."""
