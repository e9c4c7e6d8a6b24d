"""adapters/slack"""
