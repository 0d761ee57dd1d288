"""A believable serial-console boot log for simulated instances (GetConsoleOutput).

The text follows what a Debian 12 cloud image prints on an EC2 serial console: kernel banner,
systemd targets, cloud-init stages with the instance's hostname, address and SSH host key
fingerprints, then the login prompt. Reboots and stops append their own lines.
"""

from __future__ import annotations

import hashlib
import ipaddress
from datetime import datetime


def _fingerprint(instance_id: str, kind: str) -> str:
    digest = hashlib.sha256(f"{instance_id}:{kind}".encode()).hexdigest()
    return "SHA256:" + digest[:43]


def hostname(private_ip: str | None, region: str) -> str:
    """``ip-10-0-1-23`` as EC2's resource-name DNS gives the guest."""
    if not private_ip:
        return "localhost"
    try:
        ipaddress.IPv4Address(private_ip)
    except ValueError:
        return "localhost"
    return "ip-" + private_ip.replace(".", "-")


def boot_log(
    instance_id: str,
    *,
    instance_type: str,
    vcpus: int,
    memory_mib: int,
    private_ip: str | None,
    region: str,
    at: datetime,
) -> str:
    """The console text of one boot."""
    host = hostname(private_ip, region)
    stamp = at.strftime("%a, %d %b %Y %H:%M:%S +0000")
    lines = [
        (
            "[    0.000000] Linux version 6.1.0-28-cloud-amd64 (debian-kernel@lists.debian.org) "
            "(gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) "
            "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)"
        ),
        (
            "[    0.000000] Command line: BOOT_IMAGE=/boot/vmlinuz-6.1.0-28-cloud-amd64 "
            "root=PARTUUID=3c1e6f5a-01 ro console=tty0 console=ttyS0,115200 earlyprintk=ttyS0,115200"
        ),
        f"[    0.000000] DMI: Amazon EC2 {instance_type}/, BIOS 1.0 10/16/2017",
        "[    0.000000] Hypervisor detected: KVM",
        f"[    0.041827] smpboot: Allowing {vcpus} CPUs, 0 hotplug CPUs",
        f"[    0.412233] Memory: {memory_mib * 1024 - 131072}K/{memory_mib * 1024}K available",
        "[    1.120548] nvme nvme0: pci function 0000:00:04.0",
        "[    1.312004] ena 0000:00:05.0: Elastic Network Adapter (ENA) v2.8.0g",
        "[    2.004512] EXT4-fs (nvme0n1p1): mounted filesystem with ordered data mode.",
        "[  OK  ] Reached target Local File Systems.",
        "[  OK  ] Started systemd-networkd.service - Network Configuration.",
        f"Cloud-init v. 22.4.2 running 'init-local' at {stamp}. Up 3.21 seconds.",
        f"Cloud-init v. 22.4.2 running 'init' at {stamp}. Up 4.02 seconds.",
        "ci-info: ++++++++++++++++++++++++++++++++Net device info++++++++++++++++++++++++++++++++",
        f"ci-info: |  ens5  | True | {private_ip or '-':>15} | 255.255.255.0 | global |",
        "ci-info: ++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++++",
        f"ci-info: instance-id: {instance_id}   hostname: {host}",
        "Generating public/private ed25519 key pair.",
        "-----BEGIN SSH HOST KEY FINGERPRINTS-----",
        f"256 {_fingerprint(instance_id, 'ecdsa')} root@{host} (ECDSA)",
        f"256 {_fingerprint(instance_id, 'ed25519')} root@{host} (ED25519)",
        f"3072 {_fingerprint(instance_id, 'rsa')} root@{host} (RSA)",
        "-----END SSH HOST KEY FINGERPRINTS-----",
        f"Cloud-init v. 22.4.2 running 'modules:config' at {stamp}. Up 6.40 seconds.",
        f"Cloud-init v. 22.4.2 running 'modules:final' at {stamp}. Up 7.11 seconds.",
        (
            f"Cloud-init v. 22.4.2 finished at {stamp}. Datasource DataSourceEc2Local.  "
            "Up 7.35 seconds"
        ),
        "",
        f"Debian GNU/Linux 12 {host} ttyS0",
        "",
        f"{host} login: ",
    ]
    return "\n".join(lines) + "\n"


def reboot_lines(at: datetime) -> str:
    """What a reboot adds to the console."""
    stamp = at.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (
        "[  OK  ] Stopped target Multi-User System.\n"
        "[  OK  ] Reached target System Reboot.\n"
        f"reboot: Restarting system ({stamp})\n"
    )


def shutdown_lines(at: datetime) -> str:
    """What a stop or terminate adds to the console."""
    stamp = at.strftime("%a, %d %b %Y %H:%M:%S +0000")
    return (
        "[  OK  ] Stopped target Multi-User System.\n"
        "[  OK  ] Reached target System Power Off.\n"
        f"reboot: Power down ({stamp})\n"
    )
