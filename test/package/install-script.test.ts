// The install script's choice between the prebuilt binary and compiling, for the machines this
// one is not: an older glibc, musl, a platform with no prebuilt binary.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

interface Facts {
  fromSource: boolean;
  prebuild: string | null;
  glibcRuntime: string | undefined;
  glibcFloor: string | undefined;
}
const { prebuildRejection } = createRequire(__filename)('../../scripts/install.js') as {
  prebuildRejection: (facts: Facts) => string | null;
};

const PREBUILD = '/pkg/prebuilds/linux-x64/process-spawner.glibc.node';
const usable: Facts = { fromSource: false, prebuild: PREBUILD, glibcRuntime: '2.36', glibcFloor: '2.34' };

describe('the install script', () => {
  it('takes the prebuilt binary at or above its glibc floor', () => {
    expect(prebuildRejection(usable)).toBeNull();
    expect(prebuildRejection({ ...usable, glibcRuntime: '2.34' })).toBeNull();
    expect(prebuildRejection({ ...usable, glibcRuntime: '3.0' })).toBeNull();
  });

  it('compiles below the floor, and says why', () => {
    expect(prebuildRejection({ ...usable, glibcRuntime: '2.31' })).toBe(
      'the prebuilt binary needs glibc 2.34 or later and this system has glibc 2.31',
    );
    expect(prebuildRejection({ ...usable, glibcRuntime: '2.4' })).toMatch(/needs glibc 2.34/);
  });

  it('compiles when no prebuilt binary matches the platform or libc', () => {
    expect(prebuildRejection({ ...usable, prebuild: null, glibcRuntime: undefined })).toBe(
      `there is no prebuilt binary for ${process.platform}-${process.arch} (not glibc)`,
    );
  });

  it('compiles when asked to build from source', () => {
    expect(prebuildRejection({ ...usable, fromSource: true })).toMatch(/--build-from-source/);
  });
});
