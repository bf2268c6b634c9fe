"""Counters in Redis that limit use: login/registration windows and the tutor quota."""
