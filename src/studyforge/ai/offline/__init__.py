"""Offline providers: run on this machine from packaged models, never download anything."""
