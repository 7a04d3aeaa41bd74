/** Not API: NumPy .npy headers read as numpy reads them. */
package dev.laocoon.core.internal.format.numpy;
