/** Random-access bytes to scan (files, memory, slices, spooled streams) and adapters to streams and channels. */
package dev.laocoon.core.source;
