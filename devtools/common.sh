# SPDX-License-Identifier: BSD-3-Clause
# Sourced by the devtools scripts: where the build tree goes.
#
# EAL refuses to load a plugin (-d) from a path any of whose directories is
# world-writable ("directory path /tmp is world-writable and insecure"), so
# a clone under /tmp cannot keep its build tree beside the sources. Then
# the build goes to /var/lib/tandem/build-<hash of the source path>.
# TANDEM_BUILD overrides the choice.

tandem_path_is_safe() {
	local d=$1
	while [ -n "$d" ] && [ "$d" != / ]; do
		if [ -e "$d" ] && [ -n "$(find "$d" -maxdepth 0 -perm -o+w 2>/dev/null)" ]; then
			return 1
		fi
		d=$(dirname "$d")
	done
	return 0
}

tandem_build_dir() {
	local top=$1
	if [ -n "${TANDEM_BUILD:-}" ]; then
		printf '%s\n' "$TANDEM_BUILD"
	elif tandem_path_is_safe "$top"; then
		printf '%s\n' "$top/build"
	else
		printf '/var/lib/tandem/build-%s\n' \
			"$(printf '%s' "$top" | md5sum | cut -c1-12)"
	fi
}
