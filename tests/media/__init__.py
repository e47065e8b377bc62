"""Tests of the media plane: VAD, segmentation, recognition, synthesis and recording."""
