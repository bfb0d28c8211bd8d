"""Prompt and reply templates as files (zh, en) and typed render functions. Imports nothing of ours."""

from prompts.render import render, template, templates

__all__ = ["render", "template", "templates"]
