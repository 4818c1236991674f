/* The effective capability set from capget(2) (user/base/caps.h). */
#include <errno.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

int caps_effective(uint64_t *eff)
{
	struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct d[2] = { { 0 } };

	*eff = 0;
	/* no glibc wrapper: the raw call, as libcap itself does */
	if (syscall(SYS_capget, &h, d))
		return -errno;
	*eff = (uint64_t)d[0].effective | (uint64_t)d[1].effective << 32;
	return 0;
}

bool caps_have(int cap)
{
	uint64_t eff;

	if (cap < 0 || cap >= 64 || caps_effective(&eff))
		return false;
	return (eff >> cap) & 1;
}

bool caps_bpf_tracing(void)
{
	return caps_have(CAP_SYS_ADMIN) || (caps_have(CAP_BPF) && caps_have(CAP_PERFMON));
}
