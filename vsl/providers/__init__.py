"""Video/image/audio generation providers behind one protocol: VSL Lambda API, Replicate, local preview."""
