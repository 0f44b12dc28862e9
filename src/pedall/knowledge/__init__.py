"""The knowledge layer: finding and loading the data files, OWL RL inference, canonical Turtle."""
