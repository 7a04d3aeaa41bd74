/** Not API: format detectors, which read only a head or a tail and never judge, and ZipLayout, which decides what a zip is. */
package dev.laocoon.core.internal.detect;
