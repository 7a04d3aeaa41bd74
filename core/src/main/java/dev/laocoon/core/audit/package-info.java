/** The interface of the optional audit module (manifests, Dockerfiles and workflows around the models). */
package dev.laocoon.core.audit;
