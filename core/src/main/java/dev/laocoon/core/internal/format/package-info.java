/** Not API: format readers that build models of what a loader would see (GGUF, safetensors, protobuf models, Keras configs, Python literals). */
package dev.laocoon.core.internal.format;
