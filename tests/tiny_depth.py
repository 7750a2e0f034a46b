"""A tiny random Depth Anything model, built in code and saved with save_pretrained, for the depth
model's tests: nothing is downloaded. The sizes follow transformers' own DepthAnythingModelTester."""

from __future__ import annotations

from pathlib import Path

from transformers import DepthAnythingConfig, DepthAnythingForDepthEstimation, Dinov2Config, DPTImageProcessor

SIZE = 32  # the model's input side (two 16-pixel patches)


def save_depth_model(folder: Path, metric: bool = False) -> Path:
    """A Depth Anything folder (config, random weights, image processor) at `folder`."""
    import torch

    torch.manual_seed(0)
    backbone = Dinov2Config(image_size=SIZE, patch_size=16, num_channels=3, hidden_size=4, num_hidden_layers=2,
                            num_attention_heads=2, intermediate_size=8, out_indices=[1, 2],
                            reshape_hidden_states=False)
    config = DepthAnythingConfig(backbone_config=backbone, reassemble_hidden_size=4, patch_size=16,
                                 neck_hidden_sizes=[2, 2], fusion_hidden_size=6,
                                 depth_estimation_type="metric" if metric else "relative")
    model = DepthAnythingForDepthEstimation(config).eval()
    model.save_pretrained(folder)
    processor = DPTImageProcessor(size={"height": SIZE, "width": SIZE}, keep_aspect_ratio=False,
                                  ensure_multiple_of=16, do_pad=False)
    processor.save_pretrained(folder)
    return folder
