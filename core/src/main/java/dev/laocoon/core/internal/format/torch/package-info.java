/** Not API: facts about PyTorch's layouts shared by the scan and the converter. */
package dev.laocoon.core.internal.format.torch;
