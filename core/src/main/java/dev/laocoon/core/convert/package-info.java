/** Conversion of pickle checkpoints and NumPy arrays to safetensors by allow-list copy-out, without running anything, and tensor listings for inspect. */
package dev.laocoon.core.convert;
