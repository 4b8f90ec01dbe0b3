# SPDX-License-Identifier: BSD-3-Clause
# Thin wrapper over meson/ninja and the project scripts; the scripts are the real entry points.

NINJA ?= ninja -j2

.PHONY: all demo demo-stop test e2e bench asan release clean

all:
	test -f build/build.ninja || meson setup build
	$(NINJA) -C build

demo:
	bash deploy/demo.sh

demo-stop:
	bash deploy/demo.sh stop

test:
	bash tests/run.sh

# Only the vhost-user end-to-end tests (QEMU guests, testpmd); `make test` runs them too.
e2e:
	bash tests/run.sh --e2e

bench:
	bash bench/run.sh

# AddressSanitizer + UBSan, with the thread-ownership assertions on.
asan:
	test -f build-asan/build.ninja || \
		meson setup build-asan -Dbuildtype=debug -Db_sanitize=address,undefined -Ddebug_asserts=true
	$(NINJA) -C build-asan

# Tuned for this CPU: the binary may not run on another machine.
release:
	test -f build-release/build.ninja || \
		meson setup build-release -Dbuildtype=release -Dmarch=native
	$(NINJA) -C build-release

clean:
	rm -rf build build-asan build-release
