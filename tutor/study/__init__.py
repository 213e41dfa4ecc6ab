"""Studying: the learner's clock, FSRS scheduling, the queues, a session, and the stats."""
