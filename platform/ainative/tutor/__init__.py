"""The tutor: a question's way from the API to a stored answer, and the pedagogy on it.

Asking (the API): submit (course rule, quota, cache, store, enqueue), course_rule,
sessions, ratings, cache, and repository (the API's SQL on the trace). Answering (the
worker): answering, prompts, modes, classify with help_words, guardrails and
stream_guard, and trace (the worker's writes). How the answer reaches the student:
streaming (the Redis Stream, the API's hub and relay, the long-poll).
"""
