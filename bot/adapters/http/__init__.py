"""adapters/http"""
