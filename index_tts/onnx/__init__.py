"""ONNX Runtime backend: export a bundle's networks to ONNX (``export``) and run them (``runtime``)."""
