"""adapters/ovh"""
