/** Renders what a loader would do with a pickle stream as pseudo-Python, with findings marked inline. */
package dev.laocoon.core.explain;
