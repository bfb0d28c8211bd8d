"""Tests of training: reproducible weights, caches, the judge stage."""
