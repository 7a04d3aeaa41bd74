/** Not API: the symbolic pickle machine, the data-only walk and the trace they record; nothing is ever unpickled. */
package dev.laocoon.core.internal.pickle;
