/** Not API: the pipeline that runs the ordered format registry over content under a file's budget. */
package dev.laocoon.core.internal.scan;
