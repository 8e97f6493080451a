"""Investor Q&A chatbot over the Liangjiang New Area corpus, with cited answers."""

__version__ = "0.1.0"
