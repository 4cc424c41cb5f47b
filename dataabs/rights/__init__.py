"""Rights confirmation (确权): who holds which rights over the pledged data, proven from the registries."""
