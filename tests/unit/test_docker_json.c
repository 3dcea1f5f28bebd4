/* test_dockerjson.c: Docker Engine JSON in and out, on fixtures captured from Engine 20.10. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <math.h>

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "docker.h"

#define N(a) (sizeof(a) / sizeof((a)[0]))

/* ---- fixtures: real answers of dockerd 20.10.24 (API 1.41, cgroup v1) for a
 * container of dockscale-demo:latest (which has a HEALTHCHECK) run with
 * --label io.dockscale.service=dsj-t -p 127.0.0.1::8080. FIX_INSPECT is complete; the
 * other inspect answers keep only the keys around the ones we read. */
static const char FIX_LIST[] =
	"[{\"Id\":\"a5aa4755ff13ee823853765230624a9ff261a0dd7260829070bbe6c8020c66a5\",\"Names\":"
	"[\"/dsj-test\"],\"Image\":\"dockscale-demo:latest\",\"ImageID\":\"sha256:188261eb64a28c9"
	"03b8a0b3d653eb47b20d8ff42ad33102a982d51581558d80f\",\"Command\":\"/app\",\"Created\":179"
	"5705225,\"Ports\":[{\"IP\":\"127.0.0.1\",\"PrivatePort\":8080,\"PublicPort\":32776,\"Typ"
	"e\":\"tcp\"}],\"Labels\":{\"io.dockscale.demo.sha\":\"41b8f55aee21b868995fe8ae713505c167"
	"6aa6852c14bedcba39c830f4a1696a\",\"io.dockscale.service\":\"dsj-t\"},\"State\":\"running"
	"\",\"Status\":\"Up 4 seconds (healthy)\",\"HostConfig\":{\"NetworkMode\":\"default\"},\""
	"NetworkSettings\":{\"Networks\":{\"bridge\":{\"IPAMConfig\":null,\"Links\":null,\"Aliase"
	"s\":null,\"NetworkID\":\"861ab8aa95e0237544e38f957331b7f5e193191b550efbc5a4935e12be7037b"
	"0\",\"EndpointID\":\"15445ab294613576932a40d0b51eecd322358751248b3f740396ed59d0f27a09\","
	"\"Gateway\":\"172.17.0.1\",\"IPAddress\":\"172.17.0.2\",\"IPPrefixLen\":16,\"IPv6Gateway"
	"\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"MacAddress\":\"02:42:ac:1"
	"1:00:02\",\"DriverOpts\":null}}},\"Mounts\":[]}]";

static const char FIX_INSPECT[] =
	"{\"Id\":\"a5aa4755ff13ee823853765230624a9ff261a0dd7260829070bbe6c8020c66a5\",\"Created\""
	":\"2026-11-26T15:00:25.399865636Z\",\"Path\":\"/app\",\"Args\":[],\"State\":{\"Status\":"
	"\"running\",\"Running\":true,\"Paused\":false,\"Restarting\":false,\"OOMKilled\":false,\""
	"Dead\":false,\"Pid\":2074,\"ExitCode\":0,\"Error\":\"\",\"StartedAt\":\"2026-11-26T15:00"
	":25.649136028Z\",\"FinishedAt\":\"0001-01-01T00:00:00Z\",\"Health\":{\"Status\":\"health"
	"y\",\"FailingStreak\":0,\"Log\":[{\"Start\":\"2026-11-26T15:00:26.650662147Z\",\"End\":\""
	"2026-11-26T15:00:26.704506448Z\",\"ExitCode\":0,\"Output\":\"\"},{\"Start\":\"2026-11-26"
	"T15:00:27.70914946Z\",\"End\":\"2026-11-26T15:00:27.762755991Z\",\"ExitCode\":0,\"Output"
	"\":\"\"},{\"Start\":\"2026-11-26T15:00:28.765789754Z\",\"End\":\"2026-11-26T15:00:28.812"
	"397617Z\",\"ExitCode\":0,\"Output\":\"\"}]}},\"Image\":\"sha256:188261eb64a28c903b8a0b3d"
	"653eb47b20d8ff42ad33102a982d51581558d80f\",\"ResolvConfPath\":\"/var/lib/docker/containe"
	"rs/a5aa4755ff13ee823853765230624a9ff261a0dd7260829070bbe6c8020c66a5/resolv.conf\",\"Host"
	"namePath\":\"/var/lib/docker/containers/a5aa4755ff13ee823853765230624a9ff261a0dd72608290"
	"70bbe6c8020c66a5/hostname\",\"HostsPath\":\"/var/lib/docker/containers/a5aa4755ff13ee823"
	"853765230624a9ff261a0dd7260829070bbe6c8020c66a5/hosts\",\"LogPath\":\"/var/lib/docker/co"
	"ntainers/a5aa4755ff13ee823853765230624a9ff261a0dd7260829070bbe6c8020c66a5/a5aa4755ff13ee"
	"823853765230624a9ff261a0dd7260829070bbe6c8020c66a5-json.log\",\"Name\":\"/dsj-test\",\"R"
	"estartCount\":0,\"Driver\":\"overlay2\",\"Platform\":\"linux\",\"MountLabel\":\"\",\"Pro"
	"cessLabel\":\"\",\"AppArmorProfile\":\"\",\"ExecIDs\":null,\"HostConfig\":{\"Binds\":nul"
	"l,\"ContainerIDFile\":\"\",\"LogConfig\":{\"Type\":\"json-file\",\"Config\":{}},\"Networ"
	"kMode\":\"default\",\"PortBindings\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort"
	"\":\"\"}]},\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0},\"AutoRemove\":fa"
	"lse,\"VolumeDriver\":\"\",\"VolumesFrom\":null,\"CapAdd\":null,\"CapDrop\":null,\"Cgroup"
	"nsMode\":\"host\",\"Dns\":[],\"DnsOptions\":[],\"DnsSearch\":[],\"ExtraHosts\":null,\"Gr"
	"oupAdd\":null,\"IpcMode\":\"private\",\"Cgroup\":\"\",\"Links\":null,\"OomScoreAdj\":0,\""
	"PidMode\":\"\",\"Privileged\":false,\"PublishAllPorts\":false,\"ReadonlyRootfs\":false,\""
	"SecurityOpt\":null,\"UTSMode\":\"\",\"UsernsMode\":\"\",\"ShmSize\":67108864,\"Runtime\""
	":\"runc\",\"ConsoleSize\":[0,0],\"Isolation\":\"\",\"CpuShares\":0,\"Memory\":0,\"NanoCp"
	"us\":0,\"CgroupParent\":\"\",\"BlkioWeight\":0,\"BlkioWeightDevice\":[],\"BlkioDeviceRea"
	"dBps\":[],\"BlkioDeviceWriteBps\":[],\"BlkioDeviceReadIOps\":[],\"BlkioDeviceWriteIOps\""
	":[],\"CpuPeriod\":0,\"CpuQuota\":0,\"CpuRealtimePeriod\":0,\"CpuRealtimeRuntime\":0,\"Cp"
	"usetCpus\":\"\",\"CpusetMems\":\"\",\"Devices\":[],\"DeviceCgroupRules\":null,\"DeviceRe"
	"quests\":null,\"KernelMemory\":0,\"KernelMemoryTCP\":0,\"MemoryReservation\":0,\"MemoryS"
	"wap\":0,\"MemorySwappiness\":null,\"OomKillDisable\":false,\"PidsLimit\":null,\"Ulimits\""
	":[],\"CpuCount\":0,\"CpuPercent\":0,\"IOMaximumIOps\":0,\"IOMaximumBandwidth\":0,\"Maske"
	"dPaths\":[\"/proc/asound\",\"/proc/acpi\",\"/proc/kcore\",\"/proc/keys\",\"/proc/latency"
	"_stats\",\"/proc/timer_list\",\"/proc/timer_stats\",\"/proc/sched_debug\",\"/proc/scsi\""
	",\"/sys/firmware\"],\"ReadonlyPaths\":[\"/proc/bus\",\"/proc/fs\",\"/proc/irq\",\"/proc/"
	"sys\",\"/proc/sysrq-trigger\"]},\"GraphDriver\":{\"Data\":{\"LowerDir\":\"/var/lib/docke"
	"r/overlay2/14250ca712c4362200250fa98f36cc533211c4c5cf1bfdad21202eef08483490-init/diff:/v"
	"ar/lib/docker/overlay2/f40af365090418f86ca4c6d75afb9cdfa124697fcd256da87beef858f6206c60/"
	"diff\",\"MergedDir\":\"/var/lib/docker/overlay2/14250ca712c4362200250fa98f36cc533211c4c5"
	"cf1bfdad21202eef08483490/merged\",\"UpperDir\":\"/var/lib/docker/overlay2/14250ca712c436"
	"2200250fa98f36cc533211c4c5cf1bfdad21202eef08483490/diff\",\"WorkDir\":\"/var/lib/docker/"
	"overlay2/14250ca712c4362200250fa98f36cc533211c4c5cf1bfdad21202eef08483490/work\"},\"Name"
	"\":\"overlay2\"},\"Mounts\":[],\"Config\":{\"Hostname\":\"a5aa4755ff13\",\"Domainname\":"
	"\"\",\"User\":\"\",\"AttachStdin\":false,\"AttachStdout\":false,\"AttachStderr\":false,\""
	"ExposedPorts\":{\"8080/tcp\":{}},\"Tty\":false,\"OpenStdin\":false,\"StdinOnce\":false,\""
	"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":nu"
	"ll,\"Healthcheck\":{\"Test\":[\"CMD\",\"/app\",\"--health\"],\"Interval\":1000000000,\"T"
	"imeout\":2000000000,\"StartPeriod\":10000000000,\"Retries\":3},\"Image\":\"dockscale-dem"
	"o:latest\",\"Volumes\":null,\"WorkingDir\":\"\",\"Entrypoint\":[\"/app\"],\"OnBuild\":nu"
	"ll,\"Labels\":{\"io.dockscale.demo.sha\":\"41b8f55aee21b868995fe8ae713505c1676aa6852c14b"
	"edcba39c830f4a1696a\",\"io.dockscale.service\":\"dsj-t\"}},\"NetworkSettings\":{\"Bridge"
	"\":\"\",\"SandboxID\":\"8b5bcc8604704df609e36075e0b879b70a3c6e644a96e5696c1be6fc1d479290"
	"\",\"HairpinMode\":false,\"LinkLocalIPv6Address\":\"\",\"LinkLocalIPv6PrefixLen\":0,\"Po"
	"rts\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"32776\"}]},\"SandboxKey\":"
	"\"/var/run/docker/netns/8b5bcc860470\",\"SecondaryIPAddresses\":null,\"SecondaryIPv6Addr"
	"esses\":null,\"EndpointID\":\"15445ab294613576932a40d0b51eecd322358751248b3f740396ed59d0"
	"f27a09\",\"Gateway\":\"172.17.0.1\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0"
	",\"IPAddress\":\"172.17.0.2\",\"IPPrefixLen\":16,\"IPv6Gateway\":\"\",\"MacAddress\":\"0"
	"2:42:ac:11:00:02\",\"Networks\":{\"bridge\":{\"IPAMConfig\":null,\"Links\":null,\"Aliase"
	"s\":null,\"NetworkID\":\"861ab8aa95e0237544e38f957331b7f5e193191b550efbc5a4935e12be7037b"
	"0\",\"EndpointID\":\"15445ab294613576932a40d0b51eecd322358751248b3f740396ed59d0f27a09\","
	"\"Gateway\":\"172.17.0.1\",\"IPAddress\":\"172.17.0.2\",\"IPPrefixLen\":16,\"IPv6Gateway"
	"\":\"\",\"GlobalIPv6Address\":\"\",\"GlobalIPv6PrefixLen\":0,\"MacAddress\":\"02:42:ac:1"
	"1:00:02\",\"DriverOpts\":null}}}}";

static const char FIX_INSPECT_NET[] =
	"{\"Id\":\"f4209ea7a773d6a1361569a55acc6ba20d7408974be333144437a5d83ec6a631\",\"Created\""
	":\"2026-11-26T15:07:10.008701503Z\",\"State\":{\"Status\":\"running\",\"Running\":true,\""
	"Pid\":10402,\"ExitCode\":0,\"StartedAt\":\"2026-11-26T15:07:10.353716026Z\",\"FinishedAt"
	"\":\"0001-01-01T00:00:00Z\"},\"Image\":\"sha256:188261eb64a28c903b8a0b3d653eb47b20d8ff42"
	"ad33102a982d51581558d80f\",\"Name\":\"/dsj-net1\",\"HostConfig\":{\"NetworkMode\":\"dsj-"
	"net\",\"PortBindings\":{},\"RestartPolicy\":{\"Name\":\"no\",\"MaximumRetryCount\":0}},\""
	"Config\":{\"Hostname\":\"f4209ea7a773\",\"ExposedPorts\":{\"8080/tcp\":{}},\"Env\":[\"PA"
	"TH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":null,\"Health"
	"check\":{\"Test\":[\"NONE\"],\"Interval\":1000000000,\"Timeout\":2000000000,\"StartPerio"
	"d\":10000000000,\"Retries\":3},\"Image\":\"dockscale-demo:latest\",\"Entrypoint\":[\"/ap"
	"p\"],\"Labels\":{\"io.dockscale.demo.sha\":\"41b8f55aee21b868995fe8ae713505c1676aa6852c1"
	"4bedcba39c830f4a1696a\",\"io.dockscale.service\":\"dsj-n\"}},\"NetworkSettings\":{\"Port"
	"s\":{\"8080/tcp\":null},\"IPAddress\":\"\",\"Networks\":{\"dsj-net\":{\"NetworkID\":\"f0"
	"3805fddb71\",\"Gateway\":\"172.18.0.1\",\"IPAddress\":\"172.18.0.2\",\"IPPrefixLen\":16}"
	"}}}";

static const char FIX_INSPECT_CREATED[] =
	"{\"Id\":\"468510fc266dc044a34f35b00ec024f2addcd75fee10f81cc9456e408f2b0c64\",\"Created\""
	":\"2026-11-26T15:07:11.387764441Z\",\"State\":{\"Status\":\"created\",\"Running\":false,"
	"\"Pid\":0,\"ExitCode\":0,\"StartedAt\":\"0001-01-01T00:00:00Z\",\"FinishedAt\":\"0001-01"
	"-01T00:00:00Z\"},\"Image\":\"sha256:188261eb64a28c903b8a0b3d653eb47b20d8ff42ad33102a982d"
	"51581558d80f\",\"Name\":\"/dsj-c1\",\"HostConfig\":{\"NetworkMode\":\"default\",\"PortBi"
	"ndings\":null,\"RestartPolicy\":{\"Name\":\"\",\"MaximumRetryCount\":0}},\"Config\":{\"H"
	"ostname\":\"468510fc266d\",\"ExposedPorts\":{\"8080/tcp\":{}},\"Env\":[\"PATH=/usr/local"
	"/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin\"],\"Cmd\":null,\"Healthcheck\":{\"Te"
	"st\":[\"CMD\",\"/app\",\"--health\"],\"Interval\":1000000000,\"Timeout\":2000000000,\"St"
	"artPeriod\":10000000000,\"Retries\":3},\"Image\":\"dockscale-demo:latest\",\"Entrypoint\""
	":[\"/app\"],\"Labels\":{\"io.dockscale.demo.sha\":\"41b8f55aee21b868995fe8ae713505c1676a"
	"a6852c14bedcba39c830f4a1696a\",\"io.dockscale.service\":\"dsj-c\"}},\"NetworkSettings\":"
	"{\"Ports\":{},\"IPAddress\":\"\",\"Networks\":{\"bridge\":{\"NetworkID\":\"\",\"Gateway\""
	":\"\",\"IPAddress\":\"\",\"IPPrefixLen\":0}}}}";

static const char FIX_INSPECT_EXITED[] =
	"{\"Id\":\"a5aa4755ff13ee823853765230624a9ff261a0dd7260829070bbe6c8020c66a5\",\"Created\""
	":\"2026-11-26T15:00:25.399865636Z\",\"State\":{\"Status\":\"exited\",\"Running\":false,\""
	"Pid\":0,\"ExitCode\":0,\"StartedAt\":\"2026-11-26T15:00:25.649136028Z\",\"FinishedAt\":\""
	"2026-11-26T15:00:29.725121384Z\",\"Health\":{\"Status\":\"unhealthy\",\"FailingStreak\":"
	"0,\"Log\":[]}},\"Image\":\"sha256:188261eb64a28c903b8a0b3d653eb47b20d8ff42ad33102a982d51"
	"581558d80f\",\"Name\":\"/dsj-test\",\"HostConfig\":{\"NetworkMode\":\"default\",\"PortBi"
	"ndings\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"\"}]},\"RestartPolicy\""
	":{\"Name\":\"no\",\"MaximumRetryCount\":0}},\"Config\":{\"Hostname\":\"a5aa4755ff13\",\""
	"ExposedPorts\":{\"8080/tcp\":{}},\"Env\":[\"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbi"
	"n:/usr/bin:/sbin:/bin\"],\"Cmd\":null,\"Healthcheck\":{\"Test\":[\"CMD\",\"/app\",\"--he"
	"alth\"],\"Interval\":1000000000,\"Timeout\":2000000000,\"StartPeriod\":10000000000,\"Ret"
	"ries\":3},\"Image\":\"dockscale-demo:latest\",\"Entrypoint\":[\"/app\"],\"Labels\":{\"io"
	".dockscale.demo.sha\":\"41b8f55aee21b868995fe8ae713505c1676aa6852c14bedcba39c830f4a1696a"
	"\",\"io.dockscale.service\":\"dsj-t\"}},\"NetworkSettings\":{\"Ports\":{},\"IPAddress\":"
	"\"\",\"Networks\":{\"bridge\":{\"NetworkID\":\"861ab8aa95e0\",\"Gateway\":\"\",\"IPAddre"
	"ss\":\"\",\"IPPrefixLen\":0}}}}";

static const char FIX_STATS[] =
	"{\"read\":\"2026-11-26T15:00:29.680309186Z\",\"preread\":\"0001-01-01T00:00:00Z\",\"pids"
	"_stats\":{\"current\":1},\"blkio_stats\":{\"io_service_bytes_recursive\":[]},\"num_procs"
	"\":0,\"storage_stats\":{},\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":78095854,\"percp"
	"u_usage\":[41537628,36558226],\"usage_in_kernelmode\":20000000,\"usage_in_usermode\":500"
	"00000},\"system_cpu_usage\":1376090000000,\"online_cpus\":2,\"throttling_data\":{\"perio"
	"ds\":0,\"throttled_periods\":0,\"throttled_time\":0}},\"precpu_stats\":{\"cpu_usage\":{\""
	"total_usage\":0,\"usage_in_kernelmode\":0,\"usage_in_usermode\":0},\"throttling_data\":{"
	"\"periods\":0,\"throttled_periods\":0,\"throttled_time\":0}},\"memory_stats\":{\"usage\""
	":884736,\"max_usage\":4087808,\"stats\":{\"active_anon\":4096,\"active_file\":405504,\"c"
	"ache\":438272,\"hierarchical_memory_limit\":9223372036854771712,\"inactive_anon\":57344,"
	"\"inactive_file\":32768,\"rss\":61440,\"total_cache\":438272,\"total_inactive_file\":327"
	"68,\"total_rss\":61440},\"limit\":25276510208},\"name\":\"/dsj-test\",\"id\":\"a5aa4755f"
	"f13ee823853765230624a9ff261a0dd7260829070bbe6c8020c66a5\",\"networks\":{\"eth0\":{\"rx_b"
	"ytes\":736,\"rx_packets\":8,\"rx_errors\":0,\"rx_dropped\":0,\"tx_bytes\":0,\"tx_packets"
	"\":0,\"tx_errors\":0,\"tx_dropped\":0}}}";

static const char FIX_STATS_STOPPED[] =
	"{\"read\":\"0001-01-01T00:00:00Z\",\"preread\":\"0001-01-01T00:00:00Z\",\"pids_stats\":{"
	"},\"blkio_stats\":{\"io_service_bytes_recursive\":null},\"num_procs\":0,\"storage_stats\""
	":{},\"cpu_stats\":{\"cpu_usage\":{\"total_usage\":0,\"usage_in_kernelmode\":0,\"usage_in"
	"_usermode\":0},\"throttling_data\":{\"periods\":0,\"throttled_periods\":0,\"throttled_ti"
	"me\":0}},\"precpu_stats\":{\"cpu_usage\":{\"total_usage\":0,\"usage_in_kernelmode\":0,\""
	"usage_in_usermode\":0},\"throttling_data\":{\"periods\":0,\"throttled_periods\":0,\"thro"
	"ttled_time\":0}},\"memory_stats\":{},\"name\":\"/dsj-test\",\"id\":\"a5aa4755ff13ee82385"
	"3765230624a9ff261a0dd7260829070bbe6c8020c66a5\"}";

static const char FIX_VERSION[] =
	"{\"Platform\":{\"Name\":\"\"},\"Components\":[{\"Name\":\"Engine\",\"Version\":\"20.10.2"
	"4+dfsg1\",\"Details\":{\"ApiVersion\":\"1.41\",\"Arch\":\"amd64\",\"BuildTime\":\"2026-0"
	"5-07T21:09:36.000000000+00:00\",\"Experimental\":\"false\",\"GitCommit\":\"5d6db84\",\"G"
	"oVersion\":\"go1.19.8\",\"KernelVersion\":\"6.18.44-fc-v657\",\"MinAPIVersion\":\"1.12\""
	",\"Os\":\"linux\"}},{\"Name\":\"containerd\",\"Version\":\"1.6.20~ds1\",\"Details\":{\"G"
	"itCommit\":\"1.6.20~ds1-1+deb12u3\"}},{\"Name\":\"runc\",\"Version\":\"1.1.5+ds1\",\"Det"
	"ails\":{\"GitCommit\":\"1.1.5+ds1-1+deb12u1\"}},{\"Name\":\"docker-init\",\"Version\":\""
	"0.19.0\",\"Details\":{\"GitCommit\":\"\"}}],\"Version\":\"20.10.24+dfsg1\",\"ApiVersion\""
	":\"1.41\",\"MinAPIVersion\":\"1.12\",\"GitCommit\":\"5d6db84\",\"GoVersion\":\"go1.19.8\""
	",\"Os\":\"linux\",\"Arch\":\"amd64\",\"KernelVersion\":\"6.18.44-fc-v657\",\"BuildTime\""
	":\"2026-05-07T21:09:36.000000000+00:00\"}";

static const char FIX_EV_CREATE[] =
	"{\"status\":\"create\",\"id\":\"a5aa4755ff13ee823853765230624a9ff261a0dd7260829070bbe6c8"
	"020c66a5\",\"from\":\"dockscale-demo:latest\",\"Type\":\"container\",\"Action\":\"create"
	"\",\"Actor\":{\"ID\":\"a5aa4755ff13ee823853765230624a9ff261a0dd7260829070bbe6c8020c66a5\""
	",\"Attributes\":{\"image\":\"dockscale-demo:latest\",\"io.dockscale.demo.sha\":\"41b8f55"
	"aee21b868995fe8ae713505c1676aa6852c14bedcba39c830f4a1696a\",\"io.dockscale.service\":\"d"
	"sj-t\",\"name\":\"dsj-test\"}},\"scope\":\"local\",\"time\":1795705225,\"timeNano\":1795"
	"705225408141928}";

static const char FIX_EV_HEALTH[] =
	"{\"status\":\"health_status: healthy\",\"id\":\"a5aa4755ff13ee823853765230624a9ff261a0dd"
	"7260829070bbe6c8020c66a5\",\"from\":\"dockscale-demo:latest\",\"Type\":\"container\",\"A"
	"ction\":\"health_status: healthy\",\"Actor\":{\"ID\":\"a5aa4755ff13ee823853765230624a9ff"
	"261a0dd7260829070bbe6c8020c66a5\",\"Attributes\":{\"image\":\"dockscale-demo:latest\",\""
	"io.dockscale.demo.sha\":\"41b8f55aee21b868995fe8ae713505c1676aa6852c14bedcba39c830f4a169"
	"6a\",\"io.dockscale.service\":\"dsj-t\",\"name\":\"dsj-test\"}},\"scope\":\"local\",\"ti"
	"me\":1795705226,\"timeNano\":1795705226708941156}";

static const char FIX_EV_EXEC[] =
	"{\"status\":\"exec_create: /app --health\",\"id\":\"a5aa4755ff13ee823853765230624a9ff261"
	"a0dd7260829070bbe6c8020c66a5\",\"from\":\"dockscale-demo:latest\",\"Type\":\"container\""
	",\"Action\":\"exec_create: /app --health\",\"Actor\":{\"ID\":\"a5aa4755ff13ee82385376523"
	"0624a9ff261a0dd7260829070bbe6c8020c66a5\",\"Attributes\":{\"execID\":\"6de9681ac01d94c3e"
	"4862746a1d3e331c82f93caf7bcbea2bc0c024c1c6cebf1\",\"image\":\"dockscale-demo:latest\",\""
	"io.dockscale.demo.sha\":\"41b8f55aee21b868995fe8ae713505c1676aa6852c14bedcba39c830f4a169"
	"6a\",\"io.dockscale.service\":\"dsj-t\",\"name\":\"dsj-test\"}},\"scope\":\"local\",\"ti"
	"me\":1795705226,\"timeNano\":1795705226650758466}";

static const char FIX_CREATE_201[] =
	"{\"Id\":\"468510fc266dc044a34f35b00ec024f2addcd75fee10f81cc9456e408f2b0c64\",\"Warnings\""
	":[]}";

static const char FIX_CREATE_409[] =
	"{\"message\":\"Conflict. The container name \\\"/dsj-c1\\\" is already in use by contain"
	"er \\\"468510fc266dc044a34f35b00ec024f2addcd75fee10f81cc9456e408f2b0c64\\\". You have to"
	" remove (or rename) that container to be able to reuse that name.\"}";

/* fixture with the first occurrence of `from` replaced by `to`; the test fails if the
 * fixture no longer contains `from`, so edits cannot silently test nothing. */
static char *
subst(const char *src, const char *from, const char *to)
{
	const char *p = strstr(src, from);
	size_t a, b = strlen(from), c = strlen(to);
	char *out;

	assert_non_null(p);
	a = (size_t)(p - src);
	out = malloc(strlen(src) - b + c + 1);
	assert_non_null(out);
	memcpy(out, src, a);
	memcpy(out + a, to, c);
	strcpy(out + a + c, p + b);
	return out;
}

/* ---- list ------------------------------------------------------------------------- */

static void
test_list_real(void **state)
{
	struct docker_ctr c[4];

	assert_int_equal(docker_parse_list(FIX_LIST, c, N(c)), 1);
	assert_string_equal(c[0].id,
	    "a5aa4755ff13ee823853765230624a9ff261a0dd7260829070bbe6c8020c66a5");
	assert_string_equal(c[0].name, "dsj-test");
	assert_string_equal(c[0].service, "dsj-t");
	assert_string_equal(c[0].state, "running");
	assert_int_equal(c[0].created, 1795705225);
}

static void
test_list_skips_bad_entries(void **state)
{
	static const char *bad[] = {
		"{\"Id\":\"a1\",\"Names\":[\"/x-1\"],\"State\":\"running\"}",          /* no label */
		"{\"Id\":\"a1\",\"Names\":[\"/x-1\"],\"State\":\"running\",\"Labels\":null}",
		"{\"Id\":1,\"Names\":[\"/x-1\"],\"State\":\"running\",\"Labels\":{\"" DOCKER_LABEL
		"\":\"x\"}}",
		"{\"Id\":\"a1\",\"Names\":null,\"State\":\"running\",\"Labels\":{\"" DOCKER_LABEL
		"\":\"x\"}}",
		"{\"Id\":\"a1\",\"Names\":[],\"State\":\"running\",\"Labels\":{\"" DOCKER_LABEL
		"\":\"x\"}}",
		"{\"Id\":\"a1\",\"Names\":[7],\"State\":\"running\",\"Labels\":{\"" DOCKER_LABEL
		"\":\"x\"}}",
		"{\"Id\":\"a1\",\"Names\":[\"/x-1\"],\"State\":5,\"Labels\":{\"" DOCKER_LABEL
		"\":\"x\"}}",
		"{\"Id\":\"a1\",\"Names\":[\"/x-1\"],\"State\":\"running\",\"Created\":\"now\","
		"\"Labels\":{\"" DOCKER_LABEL "\":\"x\"}}",
		"{\"Id\":\"a1\",\"Names\":[\"/x-1\"],\"State\":\"running\",\"Labels\":{\"" DOCKER_LABEL
		"\":7}}",
		"{\"Id\":\"../a\",\"Names\":[\"/x-1\"],\"State\":\"running\",\"Labels\":{\""
		DOCKER_LABEL "\":\"x\"}}",
		"{\"Id\":\"a1\",\"Names\":[\"/x/1\"],\"State\":\"running\",\"Labels\":{\"" DOCKER_LABEL
		"\":\"x\"}}",
		"{\"Id\":\"a1\",\"Names\":[\"/x-1\"],\"State\":\"a-state-name-much-too-long\","
		"\"Labels\":{\"" DOCKER_LABEL "\":\"x\"}}",
		/* doc/compose.md: compose's own container
		 * is never ours, even if its image carries our label. */
		"{\"Id\":\"a1\",\"Names\":[\"/shop_web_1\"],\"State\":\"running\",\"Labels\":{\""
		DOCKER_LABEL "\":\"x\",\"com.docker.compose.project\":\"shop\"}}",
		"\"just a string\"", "null", "[]",
	};
	static const char good[] = "{\"Id\":\"b2\",\"Names\":[\"/web-2\"],\"State\":\"exited\","
	    "\"Labels\":{\"" DOCKER_LABEL "\":\"web\"}}";
	struct docker_ctr c[2];
	char body[1024];

	for (size_t i = 0; i < N(bad); i++) {
		snprintf(body, sizeof(body), "[%s,%s]", bad[i], good);
		assert_int_equal(docker_parse_list(body, c, N(c)), 1);
		assert_string_equal(c[0].id, "b2");
		assert_string_equal(c[0].name, "web-2");
		assert_string_equal(c[0].state, "exited");
		assert_int_equal(c[0].created, 0);
	}
}

static void
test_list_shapes(void **state)
{
	static const struct { const char *body; int want; } cases[] = {
		{ "[]", 0 }, { "", -1 }, { "not json", -1 }, { "{}", -1 }, { "null", -1 },
		{ "{\"message\":\"boom\"}", -1 }, { "[1,2,3]", 0 }, { "[{}]", 0 },
		{ "[{\"Id\":\"a1\"", -1 },
	};
	struct docker_ctr c[2];

	for (size_t i = 0; i < N(cases); i++)
		assert_int_equal(docker_parse_list(cases[i].body, c, N(c)), cases[i].want);
	assert_int_equal(docker_parse_list(NULL, c, N(c)), -1);
}

static void
test_list_max(void **state)
{
	static const char one[] = "{\"Id\":\"c%d\",\"Names\":[\"/s-%d\"],\"State\":\"running\","
	    "\"Labels\":{\"" DOCKER_LABEL "\":\"s\"}}";
	char body[4096], item[256];
	struct docker_ctr c[3];
	size_t len = 0;

	body[len++] = '[';
	for (int i = 0; i < 5; i++) {
		snprintf(item, sizeof(item), one, i, i);
		len += (size_t)snprintf(body + len, sizeof(body) - len, "%s%s", i ? "," : "", item);
	}
	snprintf(body + len, sizeof(body) - len, "]");
	assert_int_equal(docker_parse_list(body, c, N(c)), 3);
	assert_string_equal(c[2].name, "s-2");
	assert_int_equal(docker_parse_list(body, c, 0), 0);
	/* past 2038: Created no longer fits valueint */
	assert_int_equal(docker_parse_list("[{\"Id\":\"c9\",\"Names\":[\"/s-9\"],\"State\":"
	    "\"running\",\"Created\":4102444800,\"Labels\":{\"" DOCKER_LABEL "\":\"s\"}}]", c,
	    N(c)), 1);
	assert_int_equal(c[0].created, 4102444800LL);
}

/* A rollout's target count (doc/replicas.md, "Restart safety"): read back from the list, and
 * anything but 1..DOCKER_TARGET_MAX in plain decimal is no target (0), never an error. */
static void
test_list_rollout_target(void **state)
{
	static const struct {
		const char *value;
		int want;
	} cases[] = {
		{ "3", 3 }, { "1", 1 }, { "1000000", DOCKER_TARGET_MAX }, { "1000001", 0 },
		{ "0", 0 }, { "03", 0 }, { "-3", 0 }, { "+3", 0 }, { " 3", 0 }, { "3 ", 0 },
		{ "3x", 0 }, { "", 0 }, { "99999999999999999999", 0 },
	};
	struct docker_ctr c[1];
	char body[512];

	for (size_t i = 0; i < N(cases); i++) {
		snprintf(body, sizeof(body), "[{\"Id\":\"c1\",\"Names\":[\"/s-1\"],\"State\":"
		    "\"running\",\"Labels\":{\"" DOCKER_LABEL "\":\"s\",\""
		    DOCKER_LABEL_ROLLOUT_TARGET "\":\"%s\"}}]", cases[i].value);
		assert_int_equal(docker_parse_list(body, c, N(c)), 1);
		if (c[0].rollout_target != cases[i].want)
			fail_msg("\"%s\": %d, want %d", cases[i].value, c[0].rollout_target,
			    cases[i].want);
	}
	/* absent, or not a string */
	assert_int_equal(docker_parse_list("[{\"Id\":\"c1\",\"Names\":[\"/s-1\"],\"State\":"
	    "\"running\",\"Labels\":{\"" DOCKER_LABEL "\":\"s\",\"" DOCKER_LABEL_ROLLOUT_TARGET
	    "\":3}}]", c, N(c)), 1);
	assert_int_equal(c[0].rollout_target, 0);
	assert_int_equal(docker_parse_list(FIX_LIST, c, N(c)), 1);
	assert_int_equal(c[0].rollout_target, 0);
	assert_int_equal(docker_parse_count(NULL), 0);
}

/* ---- inspect ---------------------------------------------------------------------- */

static void
test_inspect_real(void **state)
{
	static const struct {
		const char *body; int port; const char *net;
		const char *state; bool running; enum docker_health health; bool hc;
		int host_port; const char *ip; const char *name;
	} cases[] = {
		{ FIX_INSPECT, 8080, NULL, "running", true, HEALTH_HEALTHY, true, 32776, "",
		    "dsj-test" },
		{ FIX_INSPECT, 8080, "bridge", "running", true, HEALTH_HEALTHY, true, 32776,
		    "172.17.0.2", "dsj-test" },
		{ FIX_INSPECT, 9090, "nonet", "running", true, HEALTH_HEALTHY, true, 0, "",
		    "dsj-test" },
		{ FIX_INSPECT, 0, "", "running", true, HEALTH_HEALTHY, true, 0, "", "dsj-test" },
		/* --network dsj-net --no-healthcheck: Ports {"8080/tcp": null}, Test ["NONE"] */
		{ FIX_INSPECT_NET, 8080, "dsj-net", "running", true, HEALTH_NONE, false, 0,
		    "172.18.0.2", "dsj-net1" },
		/* no network named: the one it joined (HostConfig.NetworkMode) */
		{ FIX_INSPECT_NET, 8080, NULL, "running", true, HEALTH_NONE, false, 0,
		    "172.18.0.2", "dsj-net1" },
		/* created, never started: no State.Health yet, Ports {} */
		{ FIX_INSPECT_CREATED, 8080, "bridge", "created", false, HEALTH_NONE, true, 0, "",
		    "dsj-c1" },
		/* after docker stop: exited, and the engine marks it unhealthy */
		{ FIX_INSPECT_EXITED, 8080, NULL, "exited", false, HEALTH_UNHEALTHY, true, 0, "",
		    "dsj-test" },
	};
	struct docker_inspect in;

	for (size_t i = 0; i < N(cases); i++) {
		assert_int_equal(docker_parse_inspect(cases[i].body, cases[i].port, cases[i].net,
		    &in), 0);
		assert_string_equal(in.state, cases[i].state);
		assert_int_equal(in.running, cases[i].running);
		assert_int_equal(in.health, cases[i].health);
		assert_int_equal(in.has_healthcheck, cases[i].hc);
		assert_int_equal(in.host_port, cases[i].host_port);
		assert_string_equal(in.ip, cases[i].ip);
		assert_string_equal(in.name, cases[i].name);
		assert_string_equal(in.image, "dockscale-demo:latest");
		assert_int_equal(in.exit_code, 0);
		assert_int_equal(strlen(in.id), 64);
	}
}

static void
test_inspect_variants(void **state)
{
	/* rc -1 = refused; otherwise what the field reads as */
	static const struct {
		const char *from, *to; int rc; int host_port; enum docker_health health;
		bool hc; const char *ip; int exit_code;
	} cases[] = {
		{ "\"Running\":true", "\"Running\":\"true\"", -1, 0, 0, false, "", 0 },
		{ "\"Running\":true", "\"Runnin\":true", -1, 0, 0, false, "", 0 },
		{ "\"Status\":\"running\"", "\"Status\":null", -1, 0, 0, false, "", 0 },
		{ "\"State\":{", "\"Stat\":{", -1, 0, 0, false, "", 0 },
		{ "\"ExitCode\":0,\"Error\"", "\"ExitCode\":\"0\",\"Error\"", -1, 0, 0, false, "", 0 },
		{ "\"ExitCode\":0,\"Error\"", "\"ExitCode\":137,\"Error\"", 0, 32776, HEALTH_HEALTHY,
		    true, "172.17.0.2", 137 },
		{ "\"ExitCode\":0,\"Error\"", "\"ExitCode\":1e300,\"Error\"", -1, 0, 0, false, "", 0 },
		{ "{\"Id\":\"a5aa", "{\"Id\":\"/a5aa", -1, 0, 0, false, "", 0 },
		{ "{\"Id\":\"a5aa", "{\"Id\":5,\"x\":\"", -1, 0, 0, false, "", 0 },
		{ "\"Name\":\"/dsj-test\"", "\"Name\":\"/../etc\"", -1, 0, 0, false, "", 0 },
		{ "\"Name\":\"/dsj-test\"", "\"Name\":[]", -1, 0, 0, false, "", 0 },
		/* optional parts: wrong type reads as absent */
		{ "\"Health\":{\"Status\":\"healthy\"", "\"Health\":{\"Status\":3", 0, 32776,
		    HEALTH_NONE, true, "172.17.0.2", 0 },
		{ "\"Health\":{\"Status\":\"healthy\"", "\"Health\":{\"Status\":\"starting\"", 0,
		    32776, HEALTH_STARTING, true, "172.17.0.2", 0 },
		{ "\"Health\":{", "\"Healthz\":{", 0, 32776, HEALTH_NONE, true, "172.17.0.2", 0 },
		{ "\"Test\":[\"CMD\",\"/app\",\"--health\"]", "\"Test\":[]", 0, 32776,
		    HEALTH_HEALTHY, false, "172.17.0.2", 0 },
		{ "\"Test\":[\"CMD\",\"/app\",\"--health\"]", "\"Test\":\"CMD\"", 0, 32776,
		    HEALTH_HEALTHY, false, "172.17.0.2", 0 },
		{ "\"Test\":[\"CMD\",\"/app\",\"--health\"]", "\"Test\":[\"CMD-SHELL\",\"true\"]", 0,
		    32776, HEALTH_HEALTHY, true, "172.17.0.2", 0 },
		{ "\"Healthcheck\":{", "\"Healthcheck\":null,\"x\":{", 0, 32776, HEALTH_HEALTHY,
		    false, "172.17.0.2", 0 },
		{ "\"Ports\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"32776\"}]}",
		    "\"Ports\":{\"8080/tcp\":null}", 0, 0, HEALTH_HEALTHY, true, "172.17.0.2", 0 },
		{ "\"Ports\":{\"8080/tcp\":[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"32776\"}]}",
		    "\"Ports\":null", 0, 0, HEALTH_HEALTHY, true, "172.17.0.2", 0 },
		{ "\"HostPort\":\"32776\"}]}", "\"HostPort\":32776}]}", 0, 0, HEALTH_HEALTHY, true,
		    "172.17.0.2", 0 },
		{ "\"HostPort\":\"32776\"}]}", "\"HostPort\":\"99999\"}]}", 0, 0, HEALTH_HEALTHY,
		    true, "172.17.0.2", 0 },
		{ "\"HostPort\":\"32776\"}]}", "\"HostPort\":\"327x\"}]}", 0, 0, HEALTH_HEALTHY,
		    true, "172.17.0.2", 0 },
		/* two bindings (IPv4 and IPv6 of 0.0.0.0): first usable wins */
		{ "[{\"HostIp\":\"127.0.0.1\",\"HostPort\":\"32776\"}]",
		    "[{\"HostIp\":\"::\",\"HostPort\":\"\"},{\"HostIp\":\"0.0.0.0\","
		    "\"HostPort\":\"40000\"}]", 0, 40000, HEALTH_HEALTHY, true, "172.17.0.2", 0 },
		/* the one under Networks.bridge (the top-level legacy copy is followed by
		 * "MacAddress") */
		{ "\"IPAddress\":\"172.17.0.2\",\"IPPrefixLen\":16,\"IPv6Gateway\":\"\",\"Global",
		    "\"IPAddress\":17,\"IPPrefixLen\":16,\"IPv6Gateway\":\"\",\"Global", 0, 32776,
		    HEALTH_HEALTHY, true, "", 0 },
	};
	struct docker_inspect in;

	for (size_t i = 0; i < N(cases); i++) {
		char *body = subst(FIX_INSPECT, cases[i].from, cases[i].to);

		assert_int_equal(docker_parse_inspect(body, 8080, "bridge", &in), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_int_equal(in.host_port, cases[i].host_port);
			assert_int_equal(in.health, cases[i].health);
			assert_int_equal(in.has_healthcheck, cases[i].hc);
			assert_string_equal(in.ip, cases[i].ip);
			assert_int_equal(in.exit_code, cases[i].exit_code);
		} else {
			assert_string_equal(in.id, ""); /* nothing half-filled */
		}
		free(body);
	}
}

/* Docker's restart policy at work (doc/definition.md, "Restart policy"): State.Restarting and
 * RestartCount, which replica.c reads. */
static void
test_inspect_restart(void **state)
{
	struct docker_inspect in;
	char *a = subst(FIX_INSPECT, "\"Restarting\":false", "\"Restarting\":true");
	char *b = subst(a, "\"RestartCount\":0,", "\"RestartCount\":3,");
	char *c = subst(FIX_INSPECT, "\"RestartCount\":0,", "\"RestartCount\":\"3\",");
	char *e = subst(FIX_INSPECT, "\"RestartCount\":0,", "\"RestartCount\":-1,");

	assert_int_equal(docker_parse_inspect(FIX_INSPECT, 8080, NULL, &in), 0);
	assert_false(in.restarting);
	assert_int_equal(in.restart_count, 0);
	assert_int_equal(docker_parse_inspect(b, 8080, NULL, &in), 0);
	assert_true(in.restarting);
	assert_int_equal(in.restart_count, 3);
	assert_int_equal(docker_parse_inspect(c, 8080, NULL, &in), -1);
	assert_int_equal(docker_parse_inspect(e, 8080, NULL, &in), -1);
	free(a);
	free(b);
	free(c);
	free(e);
}

static void
test_inspect_shapes(void **state)
{
	static const char *bad[] = { "", "nope", "[]", "null", "{}", "{\"message\":\"No such "
	    "container: nope\"}", "{\"Id\":\"a1\",\"Name\":\"/a\",\"State\":[]}" };
	struct docker_inspect in;

	for (size_t i = 0; i < N(bad); i++)
		assert_int_equal(docker_parse_inspect(bad[i], 8080, NULL, &in), -1);
	assert_int_equal(docker_parse_inspect(NULL, 8080, NULL, &in), -1);
	/* minimal but complete */
	assert_int_equal(docker_parse_inspect("{\"Id\":\"a1\",\"Name\":\"/a-1\",\"State\":"
	    "{\"Status\":\"dead\",\"Running\":false}}", 8080, "n", &in), 0);
	assert_string_equal(in.state, "dead");
	assert_int_equal(in.health, HEALTH_NONE);
	assert_false(in.has_healthcheck);
	assert_string_equal(in.image, "");
}

/* ---- stats ------------------------------------------------------------------------ */

static void
test_stats_real(void **state)
{
	struct docker_stats st;

	assert_int_equal(docker_parse_stats(FIX_STATS, &st), 0);
	assert_true(st.cpu_total_ns == 78095854.0);
	assert_true(st.system_ns == 1376090000000.0); /* > 2^31: not from valueint */
	assert_int_equal(st.online_cpus, 2);
	assert_true(st.mem_usage == 884736.0);
	assert_true(st.mem_cache == 438272.0);
	/* the cAdvisor series' counters (doc/api.md, "cAdvisor series") */
	assert_true(st.cpu_user_ns == 50000000.0);
	assert_true(st.cpu_kernel_ns == 20000000.0);
	assert_true(st.cfs_periods == 0 && st.cfs_throttled_ns == 0);
	assert_true(st.mem_limit == 25276510208.0);
	assert_true(st.mem_rss == 61440.0);
	assert_true(st.mem_inactive_file == 32768.0);
	assert_true(docker_mem_working_set(&st) == 884736.0 - 32768.0);
	assert_int_equal(st.nnet, 1);
	assert_string_equal(st.net[0].name, "eth0");
	assert_true(st.net[0].rx_bytes == 736.0 && st.net[0].rx_packets == 8.0);
	assert_true(st.net[0].tx_bytes == 0.0);
	/* stopped: no system_cpu_usage, no sample */
	assert_int_equal(docker_parse_stats(FIX_STATS_STOPPED, &st), -1);
}

/* The cAdvisor container_spec_* and start time come from inspect. */
static void
test_inspect_spec(void **state)
{
	struct docker_inspect in;
	char *a = subst(FIX_INSPECT, "\"CpuShares\":0,\"Memory\":0,\"NanoCpus\":0",
	    "\"CpuShares\":512,\"Memory\":67108864,\"NanoCpus\":500000000");
	char *b = subst(a, "\"CpuPeriod\":0,\"CpuQuota\":0", "\"CpuPeriod\":50000,\"CpuQuota\":\"x\"");

	assert_int_equal(docker_parse_inspect(FIX_INSPECT, 8080, NULL, &in), 0);
	assert_true(fabs(in.started_at - 1795705225.649136028) < 1e-6);
	assert_true(in.nano_cpus == 0 && in.memory_limit == 0 && in.cpu_shares == 0);
	assert_int_equal(docker_parse_inspect(a, 8080, NULL, &in), 0);
	assert_true(in.nano_cpus == 5e8 && in.memory_limit == 67108864.0 && in.cpu_shares == 512);
	/* a field of the wrong type reads as unset, the rest stands */
	assert_int_equal(docker_parse_inspect(b, 8080, NULL, &in), 0);
	assert_true(in.cpu_period == 50000 && in.cpu_quota == 0 && in.nano_cpus == 5e8);
	free(a);
	free(b);
}

static void
test_stats_counters(void **state)
{
	struct docker_stats st;
	char *a = subst(FIX_STATS, "\"periods\":0,\"throttled_periods\":0,\"throttled_time\":0}},"
	    "\"precpu", "\"periods\":50,\"throttled_periods\":7,\"throttled_time\":123456789}},"
	    "\"precpu");
	/* cgroup v2 names, a bad interface name, a non-object and five interfaces */
	char *b = subst(a, "\"total_inactive_file\":32768,\"total_rss\":61440", "\"anon\":5,\"x\":1");
	char *c = subst(b, "\"networks\":{\"eth0\":{", "\"networks\":{\"a b\":{},\"n\":1,\"e1\":{},"
	    "\"e2\":{\"rx_bytes\":-5},\"e3\":{},\"eth0\":{");

	assert_int_equal(docker_parse_stats(a, &st), 0);
	assert_true(st.cfs_periods == 50 && st.cfs_throttled_periods == 7);
	assert_true(st.cfs_throttled_ns == 123456789.0);
	assert_int_equal(docker_parse_stats(b, &st), 0);
	assert_true(st.mem_rss == 61440.0);            /* "rss" before v2's "anon" */
	assert_true(st.mem_inactive_file == 32768.0);  /* v2's inactive_file */
	assert_int_equal(docker_parse_stats(c, &st), 0);
	assert_int_equal(st.nnet, 4);                  /* at most DOCKER_NETIFS */
	assert_string_equal(st.net[0].name, "e1");
	assert_true(st.net[1].rx_bytes == 0);          /* negative: none */
	/* usage below inactive_file (a racing read): the usage itself */
	st.mem_usage = 10;
	st.mem_inactive_file = 20;
	assert_true(docker_mem_working_set(&st) == 10);
	free(a);
	free(b);
	free(c);
}

static void
test_parse_time(void **state)
{
	assert_true(docker_parse_time("1970-01-01T00:00:10Z") == 10.0);
	assert_true(fabs(docker_parse_time("2026-11-30T17:59:50.834413486Z") -
	    1796061590.834413486) < 1e-6);
	assert_true(docker_parse_time("1970-01-01T01:00:10+01:00") == 10.0);
	assert_true(docker_parse_time("1970-01-01T00:00:10-00:30") == 1810.0);
	assert_true(docker_parse_time("0001-01-01T00:00:00Z") == -1);
	assert_true(docker_parse_time("2026-11-30 17:59:50Z") == -1);
	assert_true(docker_parse_time("2026-11-30T17:59:50") == -1);
	assert_true(docker_parse_time("2026-11-30T17:59:50Zx") == -1);
	assert_true(docker_parse_time("2026-13-30T17:59:50Z") == -1);
	assert_true(docker_parse_time(NULL) == -1);
}

static void
test_stats_variants(void **state)
{
	static const struct {
		const char *from, *to; int rc; double cpu, sys; int cpus; double mem, cache;
	} cases[] = {
		{ "\"online_cpus\":2", "\"online_cpu\":2", 0, 78095854, 1376090000000, 2, 884736,
		    438272 },
		{ "\"online_cpus\":2", "\"online_cpus\":\"2\"", 0, 78095854, 1376090000000, 2,
		    884736, 438272 },
		{ "\"percpu_usage\":[41537628,36558226]", "\"percpu_usage\":null", 0, 78095854,
		    1376090000000, 2, 884736, 438272 },
		{ "\"percpu_usage\":[41537628,36558226]", "\"percpu_usage\":[1,2,3]", 0, 78095854,
		    1376090000000, 2, 884736, 438272 },
		/* huge counters: 2^53 ns total usage, 9e15 ns system */
		{ "\"total_usage\":78095854", "\"total_usage\":9007199254740992", 0,
		    9007199254740992.0, 1376090000000, 2, 884736, 438272 },
		{ "\"system_cpu_usage\":1376090000000", "\"system_cpu_usage\":9000000000000000", 0,
		    78095854, 9e15, 2, 884736, 438272 },
		{ "\"usage\":884736", "\"usage\":68719476736", 0, 78095854, 1376090000000, 2,
		    68719476736.0, 438272 },
		{ "\"usage\":884736", "\"usage\":\"884736\"", 0, 78095854, 1376090000000, 2, 0,
		    438272 },
		/* cgroup v2 has no "cache": inactive_file */
		{ "\"cache\":438272", "\"cachex\":438272", 0, 78095854, 1376090000000, 2, 884736,
		    32768 },
		/* a cache that is not a number is absent: the next name (inactive_file) */
		{ "\"cache\":438272", "\"cache\":null", 0, 78095854, 1376090000000, 2, 884736,
		    32768 },
		{ "\"memory_stats\":{", "\"memory_stat\":{", 0, 78095854, 1376090000000, 2, 0, 0 },
		{ "\"total_usage\":78095854", "\"total_usage\":\"78095854\"", -1, 0, 0, 0, 0, 0 },
		{ "\"system_cpu_usage\":1376090000000", "\"system_cpu_usage\":null", -1, 0, 0, 0, 0,
		    0 },
		{ "\"cpu_stats\":{", "\"cpu_stats\":[],\"x\":{", -1, 0, 0, 0, 0, 0 },
	};
	struct docker_stats st;

	for (size_t i = 0; i < N(cases); i++) {
		char *body = subst(FIX_STATS, cases[i].from, cases[i].to);

		assert_int_equal(docker_parse_stats(body, &st), cases[i].rc);
		if (cases[i].rc == 0) {
			assert_true(st.cpu_total_ns == cases[i].cpu);
			assert_true(st.system_ns == cases[i].sys);
			assert_int_equal(st.online_cpus, cases[i].cpus);
			assert_true(st.mem_usage == cases[i].mem);
			assert_true(st.mem_cache == cases[i].cache);
		}
		free(body);
	}
	/* neither online_cpus nor percpu_usage (cgroup v2 without the field): one */
	{
		char *a = subst(FIX_STATS, "\"online_cpus\":2", "\"x\":2");
		char *b = subst(a, "\"percpu_usage\":[41537628,36558226]", "\"y\":[]");

		assert_int_equal(docker_parse_stats(b, &st), 0);
		assert_int_equal(st.online_cpus, 1);
		free(a);
		free(b);
	}
	assert_int_equal(docker_parse_stats("garbage", &st), -1);
	assert_int_equal(docker_parse_stats("[]", &st), -1);
	assert_int_equal(docker_parse_stats(NULL, &st), -1);
}

/* ---- events ----------------------------------------------------------------------- */

static void
test_events(void **state)
{
	static const char id[] = "a5aa4755ff13ee823853765230624a9ff261a0dd7260829070bbe6c8020c66a5";
	static const struct {
		const char *line; int rc; const char *action, *service, *name, *id;
	} cases[] = {
		{ FIX_EV_CREATE, 0, "create", "dsj-t", "dsj-test", id },
		{ FIX_EV_HEALTH, 0, "health_status: healthy", "dsj-t", "dsj-test", id },
		{ FIX_EV_EXEC, 0, "exec_create: /app --health", "dsj-t", "dsj-test", id },
		/* older shape: no Actor, id at the top */
		{ "{\"status\":\"die\",\"id\":\"abc123\",\"Type\":\"container\",\"Action\":\"die\","
		  "\"time\":1}", 0, "die", "", "", "abc123" },
		{ "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"abc\","
		  "\"Attributes\":null}}", 0, "start", "", "", "abc" },
		{ "{\"Type\":\"network\",\"Action\":\"connect\",\"Actor\":{\"ID\":\"n1\"}}", -1,
		  NULL, NULL, NULL, NULL },
		{ "{\"Type\":\"image\",\"Action\":\"pull\",\"Actor\":{\"ID\":\"x\"}}", -1, NULL,
		  NULL, NULL, NULL },
		{ "{\"Action\":\"start\",\"Actor\":{\"ID\":\"abc\"}}", -1, NULL, NULL, NULL, NULL },
		{ "{\"Type\":\"container\",\"Actor\":{\"ID\":\"abc\"}}", -1, NULL, NULL, NULL, NULL },
		{ "{\"Type\":\"container\",\"Action\":\"start\"}", -1, NULL, NULL, NULL, NULL },
		{ "{\"Type\":\"container\",\"Action\":7,\"Actor\":{\"ID\":\"abc\"}}", -1, NULL, NULL,
		  NULL, NULL },
		{ "{\"Type\":\"container\",\"Action\":\"start\",\"Actor\":{\"ID\":\"a/b\"}}", -1,
		  NULL, NULL, NULL, NULL },
		{ "{\"message\":\"invalid filter\"}", -1, NULL, NULL, NULL, NULL },
		{ "", -1, NULL, NULL, NULL, NULL },
		{ "\x01\xff garbage", -1, NULL, NULL, NULL, NULL },
		{ "[\"container\"]", -1, NULL, NULL, NULL, NULL },
	};
	struct docker_event ev;

	for (size_t i = 0; i < N(cases); i++) {
		assert_int_equal(docker_parse_event(cases[i].line, strlen(cases[i].line), &ev),
		    cases[i].rc);
		if (cases[i].rc == 0) {
			assert_string_equal(ev.action, cases[i].action);
			assert_string_equal(ev.service, cases[i].service);
			assert_string_equal(ev.name, cases[i].name);
			assert_string_equal(ev.id, cases[i].id);
			assert_int_equal(docker_health_parse(ev.action),
			    i == 1 ? HEALTH_HEALTHY : HEALTH_NONE);
		}
	}
}

static void
test_events_lengths(void **state)
{
	struct docker_event ev;
	char act[600];

	/* the length bounds the parse: a cut line is not an event */
	assert_int_equal(docker_parse_event(FIX_EV_CREATE, strlen(FIX_EV_CREATE) - 1, &ev), -1);
	/* a trailing newline (as on the wire) is fine */
	{
		char line[2048];
		int n = snprintf(line, sizeof(line), "%s\r\n", FIX_EV_CREATE);

		assert_int_equal(docker_parse_event(line, (size_t)n, &ev), 0);
	}
	/* a long exec action is truncated, not refused */
	memset(act, 'x', sizeof(act) - 1);
	act[sizeof(act) - 1] = '\0';
	{
		char line[4096];

		snprintf(line, sizeof(line), "{\"Type\":\"container\",\"Action\":\"exec_create: %s\","
		    "\"Actor\":{\"ID\":\"abc\"}}", act);
		assert_int_equal(docker_parse_event(line, strlen(line), &ev), 0);
		assert_int_equal(strlen(ev.action), sizeof(ev.action) - 1);
		/* an over-long service label is refused rather than cut */
		snprintf(line, sizeof(line), "{\"Type\":\"container\",\"Action\":\"die\","
		    "\"Actor\":{\"ID\":\"abc\",\"Attributes\":{\"" DOCKER_LABEL "\":\"%s\"}}}", act);
		assert_int_equal(docker_parse_event(line, strlen(line), &ev), -1);
	}
	assert_int_equal(docker_parse_event(NULL, 0, &ev), -1);
}

/* ---- create answer, error bodies -------------------------------------------------- */

static void
test_parse_create(void **state)
{
	char id[DOCKER_ID_MAX + 1];

	assert_int_equal(docker_parse_create(FIX_CREATE_201, id, sizeof(id)), 0);
	assert_string_equal(id, "468510fc266dc044a34f35b00ec024f2addcd75fee10f81cc9456e408f2b0c64");
	/* 64 hex digits need 65 bytes */
	assert_int_equal(docker_parse_create(FIX_CREATE_201, id, 64), -1);
	assert_string_equal(id, "");
	static const char *bad[] = { FIX_CREATE_409, "", "x", "[]", "{\"Id\":7}",
		"{\"Id\":\"\"}", "{\"Id\":\"../../x\"}", "{\"id\":\"abc\"}", "{\"Id\":null}" };
	for (size_t i = 0; i < N(bad); i++) {
		assert_int_equal(docker_parse_create(bad[i], id, sizeof(id)), -1);
		assert_string_equal(id, "");
	}
	assert_int_equal(docker_parse_create(NULL, id, sizeof(id)), -1);
}

static void
test_error_message(void **state)
{
	static const struct { const char *body; size_t len; const char *want; } cases[] = {
		{ "{\"message\":\"No such container: nope\"}", 256, "No such container: nope" },
		{ "{\"message\":\"No such container: nope\"}", 8, "No such" },
		{ "{\"message\":\"line1\\nline2\"}", 256, "line1 line2" },
		{ "{\"message\":\"\"}", 256, "(no message)" },
		{ "{\"message\":42}", 256, "(no message)" },
		{ "{}", 256, "(no message)" },
		{ "", 256, "(no message)" },
		{ NULL, 256, "(no message)" },
		{ "Bad Gateway\r\n", 256, "Bad Gateway  " },
		{ "<html>", 4, "<ht" },
		/* log lines get valid UTF-8: a raw body's bad bytes and a cut character go */
		{ "{\"message\":\"caf\xc3\xa9\"}", 256, "caf\xc3\xa9" },
		{ "{\"message\":\"caf\xc3\xa9\"}", 5, "caf?" },
		{ "bad \xff\xfe gateway", 256, "bad ?? gateway" },
		{ "{\"message\":\"x\",\"message\":\"y\"}", 8, "{\"messa" },
	};
	char out[256];

	for (size_t i = 0; i < N(cases); i++) {
		memset(out, 'Z', sizeof(out));
		docker_error_message(cases[i].body, out, cases[i].len);
		assert_string_equal(out, cases[i].want);
	}
	docker_error_message(FIX_CREATE_409, out, sizeof(out));
	assert_non_null(strstr(out, "Conflict. The container name \"/dsj-c1\" is already in use"));
	docker_error_message("{}", out, 0); /* no room: nothing written, no crash */
}

/* ---- version, health -------------------------------------------------------------- */

/* A label holding \u0000 read as the shorter name before it: "dsj-t\u0000x" was service
 * dsj-t. Every answer is parsed strictly (doc/testing.md, "Fuzzing"), so such an answer, or
 * one with a duplicate key, is refused whole. */
static void
test_strict_json(void **state)
{
	static const struct {
		const char *from, *to;
	} list_edits[] = {
		{ "\"io.dockscale.service\":\"dsj-t\"", "\"io.dockscale.service\":\"dsj-t\\u0000x\"" },
		{ "\"State\":\"running\"", "\"State\":\"running\",\"State\":\"exited\"" },
		{ "\"Names\":[\"/dsj-test\"]", "\"Names\":[\"/dsj-test\\u0000\"]" },
		{ "\"Command\":\"/app\"", "\"Command\":\"/app\xff\"" },
	};
	struct docker_ctr c[4];
	struct docker_inspect in;
	struct docker_event ev;
	char *b;

	for (size_t i = 0; i < N(list_edits); i++) {
		b = subst(FIX_LIST, list_edits[i].from, list_edits[i].to);
		if (docker_parse_list(b, c, N(c)) != -1)
			fail_msg("list edit %zu accepted", i);
		free(b);
	}
	b = subst(FIX_INSPECT, "\"Name\":\"/dsj-test\"", "\"Name\":\"/dsj-test\\u0000x\"");
	assert_int_equal(docker_parse_inspect(b, 8080, NULL, &in), -1);
	free(b);
	b = subst(FIX_EV_CREATE, "\"dsj-t\",", "\"dsj-t\\u0000x\",");
	assert_int_equal(docker_parse_event(b, strlen(b), &ev), -1);
	free(b);
	b = subst(FIX_EV_CREATE, "\"Action\":", "\"Action\":\"die\",\"Action\":");
	assert_int_equal(docker_parse_event(b, strlen(b), &ev), -1);
	free(b);
}

static void
test_version(void **state)
{
	static const struct { const char *body; int rc; const char *want; } cases[] = {
		{ FIX_VERSION, 0, "1.41" },
		{ "{\"ApiVersion\":\"1.43\",\"MinAPIVersion\":\"1.12\"}", 0, "1.41" },
		{ "{\"ApiVersion\":\"1.50\",\"MinAPIVersion\":\"1.24\"}", 0, "1.41" },
		{ "{\"ApiVersion\":\"1.40\"}", 0, "1.40" },
		{ "{\"ApiVersion\":\"1.25\"}", 0, "1.25" },
		{ "{\"ApiVersion\":\"1.24\"}", -1, "" },
		{ "{\"ApiVersion\":\"1.9\"}", -1, "" },
		{ "{\"ApiVersion\":\"1.60\",\"MinAPIVersion\":\"1.44\"}", -1, "" },
		{ "{\"ApiVersion\":\"2.0\"}", -1, "" },
		{ "{\"ApiVersion\":\"1.4x\"}", -1, "" },
		{ "{\"ApiVersion\":\"1.\"}", -1, "" },
		{ "{\"ApiVersion\":\"1.-41\"}", -1, "" },
		{ "{\"ApiVersion\":1.41}", -1, "" },
		{ "{\"Version\":\"20.10.24\"}", -1, "" },
		{ "OK", -1, "" },
		{ "", -1, "" },
	};
	char out[16];

	for (size_t i = 0; i < N(cases); i++) {
		assert_int_equal(docker_parse_version(cases[i].body, out, sizeof(out)), cases[i].rc);
		assert_string_equal(out, cases[i].want);
	}
	assert_int_equal(docker_parse_version(FIX_VERSION, out, 4), -1); /* "1.41" needs 5 */
	assert_int_equal(docker_parse_version(NULL, out, sizeof(out)), -1);
}

static void
test_health(void **state)
{
	static const struct { const char *s; enum docker_health h; const char *name; } cases[] = {
		{ "healthy", HEALTH_HEALTHY, "healthy" },
		{ "unhealthy", HEALTH_UNHEALTHY, "unhealthy" },
		{ "starting", HEALTH_STARTING, "starting" },
		{ "none", HEALTH_NONE, "none" },
		{ "health_status: healthy", HEALTH_HEALTHY, "healthy" },
		{ "health_status: unhealthy", HEALTH_UNHEALTHY, "unhealthy" },
		{ "health_status:starting", HEALTH_STARTING, "starting" },
		{ "", HEALTH_NONE, "none" },
		{ "HEALTHY", HEALTH_NONE, "none" },
		{ "healthy ", HEALTH_NONE, "none" },
		{ "exec_start: healthy", HEALTH_NONE, "none" },
		{ NULL, HEALTH_NONE, "none" },
	};

	for (size_t i = 0; i < N(cases); i++) {
		assert_int_equal(docker_health_parse(cases[i].s), cases[i].h);
		assert_string_equal(docker_health_name(cases[i].h), cases[i].name);
	}
	assert_string_equal(docker_health_name((enum docker_health)42), "unknown");
}

/* docker_cpu: the rate between two one-shot samples, in percent of the cpus limit. */
static void
test_cpu_percent(void **state)
{
	static const struct {
		double pc, ps, c, s;
		int online;
		double limit, want;
	} cases[] = {
		/* half a core used on a 2-CPU host over 1 s of wall time (2e9 ns system) */
		{ 0, 0, 5e8, 2e9, 2, 0, 50.0 },
		{ 0, 0, 5e8, 2e9, 2, 0.5, 100.0 },   /* the same against a 0.5 cpus limit */
		{ 0, 0, 5e8, 2e9, 2, 2, 25.0 },
		{ 1e12, 4e12, 1e12 + 2e9, 4e12 + 2e9, 2, 1, 200.0 }, /* both cores, big counters */
		{ 0, 0, 0, 2e9, 2, 0, 0.0 },         /* idle */
		{ 0, 1e9, 5e8, 1e9, 2, 0, -1 },      /* no system time elapsed */
		{ 9e8, 0, 5e8, 2e9, 2, 0, -1 },      /* counter went back: restarted */
		{ 0, 0, 5e8, 2e9, 0, 0, -1 },        /* no online CPU count */
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		double got = docker_cpu_percent(cases[i].pc, cases[i].ps, cases[i].c, cases[i].s,
		    cases[i].online, cases[i].limit);

		if (cases[i].want < 0)
			assert_true(got < 0);
		else
			assert_true(fabs(got - cases[i].want) < 1e-9);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_list_real),
		cmocka_unit_test(test_list_skips_bad_entries),
		cmocka_unit_test(test_list_shapes),
		cmocka_unit_test(test_list_max),
		cmocka_unit_test(test_list_rollout_target),
		cmocka_unit_test(test_inspect_real),
		cmocka_unit_test(test_inspect_variants),
		cmocka_unit_test(test_inspect_shapes),
		cmocka_unit_test(test_inspect_restart),
		cmocka_unit_test(test_stats_real),
		cmocka_unit_test(test_stats_counters),
		cmocka_unit_test(test_inspect_spec),
		cmocka_unit_test(test_parse_time),
		cmocka_unit_test(test_stats_variants),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_events_lengths),
		cmocka_unit_test(test_parse_create),
		cmocka_unit_test(test_error_message),
		cmocka_unit_test(test_strict_json),
		cmocka_unit_test(test_version),
		cmocka_unit_test(test_health),
		cmocka_unit_test(test_cpu_percent),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
