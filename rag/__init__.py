"""Answers questions about transcripts with passages cited to the characters of their source."""
