/** Not API: container readers that read as the real loaders read (lenient zip, Python-like gzip and lzma, legacy torch tar layouts). */
package dev.laocoon.core.internal.container;
