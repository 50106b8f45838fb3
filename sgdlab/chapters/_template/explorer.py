"""The live explorer of the template chapter (ipywidgets; needs a kernel, so it is removed from the page)."""
import matplotlib.pyplot as plt
import numpy as np

import sgdlab

from .experiments import SIGMA


def explorer(lr, steps, seed):
    import ipywidgets as W
    from IPython.display import display

    def show(lr_):
        r = sgdlab.simulate("double_well", noise="gaussian", noise_scale=SIGMA, lr=lr_, steps=steps,
                            w0=np.linspace(-0.5, 0.5, 500), seed=seed)
        fig, ax = plt.subplots(figsize=(6.7, 3))
        ax.hist(r.final[r.ok], bins=40, range=(-2, 2))
        ax.set_xlabel("final $w$")
        ax.set_ylabel("runs")
        plt.show()

    # the control covers every value validation accepts
    lr_w = W.FloatSlider(value=lr, min=0.001, max=0.5, step=0.001, description="λ")
    display(W.VBox([lr_w, W.interactive_output(show, {"lr_": lr_w})]))
