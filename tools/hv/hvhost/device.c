// SPDX-License-Identifier: GPL-2.0
/*
 * The device classes hvhost can offer, and GUID text conversion.
 */
#include <assert.h>
#include <stdio.h>
#include <string.h>

#include "util.h"
#include "vmbus_server.h"

static const struct hv_device_class hv_device_classes[] = {
	{
		.name = "echo",
		.type = VMBUS_CLASS_TEST_ECHO,
		.monitor_default = true,
		.ops = &hv_echo_ops,
	},
	{
		.name = "scsi",
		.type = VMBUS_CLASS_SCSI,
		.ops = &hv_storvsp_ops,
		.host = &storvsp_class_ops,
		.profile = &storvsp_scsi_profile,
		.fault_name = "storvsc",
	},
	{
		.name = "ide",
		.type = VMBUS_CLASS_IDE,
		.ops = &hv_storvsp_ops,
		.host = &storvsp_ide_class_ops,
		.profile = &storvsp_ide_profile,
		.fault_name = "blkvsc",
	},
	{
		.name = "nic",
		.type = VMBUS_CLASS_NETWORK,
		.ops = &hv_netvsp_ops,
		.host = &netvsp_class_ops,
		.fault_name = "netvsc",
	},
};

const struct hv_device_class *hv_device_class_find(const char *name)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(hv_device_classes); i++)
		if (!strcmp(hv_device_classes[i].name, name))
			return &hv_device_classes[i];
	return NULL;
}

static_assert(ARRAY_SIZE(hv_device_classes) <= HV_DEVICE_CLASSES_MAX,
	      "HV_DEVICE_CLASSES_MAX is too small");

unsigned int hv_device_class_count(void)
{
	return ARRAY_SIZE(hv_device_classes);
}

const struct hv_device_class *hv_device_class_at(unsigned int id)
{
	return id < ARRAY_SIZE(hv_device_classes) ? &hv_device_classes[id] :
						    NULL;
}

unsigned int hv_device_class_id(const struct hv_device_class *cls)
{
	return cls - hv_device_classes;
}

/*
 * Byte positions, in wire order, of the hex digit pairs of the text form:
 * the first three groups are little-endian.
 */
static const unsigned char hv_guid_order[16] = {
	3, 2, 1, 0, 5, 4, 7, 6, 8, 9, 10, 11, 12, 13, 14, 15
};

static int hv_hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool hv_guid_dash_at(size_t pos)
{
	return pos == 8 || pos == 13 || pos == 18 || pos == 23;
}

int hv_guid_parse(const char *s, guid_t *g)
{
	unsigned int byte = 0;
	size_t pos;
	int hi, lo;

	if (strlen(s) != HV_GUID_STR_LEN)
		return -1;
	for (pos = 0; pos < HV_GUID_STR_LEN; ) {
		if (hv_guid_dash_at(pos)) {
			if (s[pos++] != '-')
				return -1;
			continue;
		}
		hi = hv_hex_digit(s[pos]);
		lo = hv_hex_digit(s[pos + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		g->b[hv_guid_order[byte++]] = hi << 4 | lo;
		pos += 2;
	}
	return 0;
}

void hv_guid_format(const guid_t *g, char buf[HV_GUID_STR_LEN + 1])
{
	const unsigned char *o = hv_guid_order;
	const __u8 *b = g->b;

	snprintf(buf, HV_GUID_STR_LEN + 1,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[o[0]], b[o[1]], b[o[2]], b[o[3]], b[o[4]], b[o[5]],
		 b[o[6]], b[o[7]], b[o[8]], b[o[9]], b[o[10]], b[o[11]],
		 b[o[12]], b[o[13]], b[o[14]], b[o[15]]);
}

bool hv_guid_equal(const guid_t *a, const guid_t *b)
{
	return !memcmp(a->b, b->b, sizeof(a->b));
}
