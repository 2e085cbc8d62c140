"""The scalar engine of the micrograd lecture: ``Value`` and its network library ``nn``."""
