// SPDX-License-Identifier: GPL-2.0
/*
 * The vmbus bus: devices for the host's offers, driver registration,
 * matching by class GUID, uevents for module autoloading, sysfs (what a
 * user needs, Documentation/ABI/testing/sysfs-bus-vmbus), the channels'
 * debug counters in debugfs, and the module's init and exit.
 */

#define pr_fmt(fmt) KBUILD_MODNAME ": " fmt

#include <linux/cpu.h>
#include <linux/debugfs.h>
#include <linux/device.h>
#include <linux/kobject.h>
#include <linux/module.h>
#include <linux/slab.h>
#include <linux/sysfs.h>

#include "vmbus_private.h"

static struct device *vmbus_root;
static HV_CONST_BUS_TYPE vmbus_bus;

/* --- devices and drivers --------------------------------------------- */

static const struct hv_vmbus_device_id *
vmbus_match_id(const struct hv_driver *drv, const struct hv_device *hdev)
{
	const struct hv_vmbus_device_id *id;

	for (id = drv->id_table; id && !guid_is_null(&id->guid); id++)
		if (guid_equal(&id->guid, &hdev->dev_type))
			return id;
	return NULL;
}

static int vmbus_match(struct device *dev,
		       HV_MATCH_CONST struct device_driver *drv)
{
	return !!vmbus_match_id(to_hv_driver(drv), to_hv_device(dev));
}

/* The alias modpost builds from MODULE_DEVICE_TABLE(vmbus, ...). */
static int vmbus_uevent(HV_UEVENT_CONST struct device *dev,
			struct kobj_uevent_env *env)
{
	const struct hv_device *hdev =
		container_of_const(dev, struct hv_device, device);

	return add_uevent_var(env, "MODALIAS=vmbus:%*phN", UUID_SIZE,
			      hdev->dev_type.b);
}

static int vmbus_probe(struct device *dev)
{
	struct hv_driver *drv = to_hv_driver(dev->driver);
	struct hv_device *hdev = to_hv_device(dev);
	const struct hv_vmbus_device_id *id = vmbus_match_id(drv, hdev);
	int ret;

	if (!id || !drv->probe)
		return -ENODEV;
	ret = drv->probe(hdev, id);
	if (ret)
		vmbus_stop_rescind_callbacks(hdev->channel);
	return ret;
}

static void vmbus_remove(struct device *dev)
{
	struct hv_driver *drv = to_hv_driver(dev->driver);
	struct hv_device *hdev = to_hv_device(dev);

	if (drv->remove)
		drv->remove(hdev);
	/* The driver may be unloaded next: no callback may call it again. */
	vmbus_stop_rescind_callbacks(hdev->channel);
	/* A driver that forgot to close must not leave rings to the host. */
	vmbus_close_all(hdev->channel);
}

static void vmbus_shutdown(struct device *dev)
{
	struct hv_driver *drv;

	if (!dev->driver)
		return;
	drv = to_hv_driver(dev->driver);
	if (drv->shutdown)
		drv->shutdown(to_hv_device(dev));
}

/**
 * __vmbus_driver_register() - register a VSC driver
 * @drv: the driver; @drv->name, @drv->id_table and @drv->probe are needed
 * @owner: the driver's module
 * @mod_name: its name
 *
 * Use vmbus_driver_register() or module_hv_driver().
 *
 * Return: 0 or a negative errno.
 */
int __vmbus_driver_register(struct hv_driver *drv, struct module *owner,
			    const char *mod_name)
{
	drv->driver.name = drv->name;
	drv->driver.owner = owner;
	drv->driver.mod_name = mod_name;
	drv->driver.bus = &vmbus_bus;
	return driver_register(&drv->driver);
}
EXPORT_SYMBOL_GPL(__vmbus_driver_register);

/**
 * vmbus_driver_unregister() - unregister a VSC driver
 * @drv: a driver registered with vmbus_driver_register()
 *
 * Its devices are removed (and their channels closed) first.
 */
void vmbus_driver_unregister(struct hv_driver *drv)
{
	driver_unregister(&drv->driver);
}
EXPORT_SYMBOL_GPL(vmbus_driver_unregister);

/* --- device sysfs ---------------------------------------------------- */

static struct vmbus_channel *dev_chan(struct device *dev)
{
	return to_hv_device(dev)->channel;
}

static ssize_t class_id_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "{%pUl}\n", &to_hv_device(dev)->dev_type);
}
static DEVICE_ATTR_RO(class_id);

static ssize_t device_id_show(struct device *dev,
			      struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "{%pUl}\n", &to_hv_device(dev)->dev_instance);
}
static DEVICE_ATTR_RO(device_id);

static ssize_t modalias_show(struct device *dev,
			     struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "vmbus:%*phN\n", UUID_SIZE,
			  to_hv_device(dev)->dev_type.b);
}
static DEVICE_ATTR_RO(modalias);

static ssize_t state_show(struct device *dev,
			  struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", vmbus_chan_state_name(dev_chan(dev)));
}
static DEVICE_ATTR_RO(state);

static ssize_t id_show(struct device *dev,
		       struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", dev_chan(dev)->relid);
}
static DEVICE_ATTR_RO(id);

static ssize_t cpu_show(struct device *dev,
			struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%u\n", vmbus_chan_cpu(dev_chan(dev)));
}
static DEVICE_ATTR_RO(cpu);

/* The ring state is in channels/<relid>/, once per channel. */
static struct attribute *vmbus_dev_attrs[] = {
	&dev_attr_class_id.attr,
	&dev_attr_device_id.attr,
	&dev_attr_modalias.attr,
	&dev_attr_state.attr,
	&dev_attr_id.attr,
	&dev_attr_cpu.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vmbus_dev);

/* /sys/bus/vmbus/version: the negotiated protocol version. */
static ssize_t version_show(HV_CONST_BUS_TYPE *bus, char *buf)
{
	u32 v = vmbus_proto_version();

	return sysfs_emit(buf, "%u.%u\n", VMBUS_VERSION_MAJOR(v),
			  VMBUS_VERSION_MINOR(v));
}
static BUS_ATTR_RO(version);

static struct attribute *vmbus_bus_attrs[] = {
	&bus_attr_version.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vmbus_bus);

static HV_CONST_BUS_TYPE vmbus_bus = {
	.name		= "vmbus",
	.match		= vmbus_match,
	.uevent		= vmbus_uevent,
	.probe		= vmbus_probe,
	.remove		= vmbus_remove,
	.shutdown	= vmbus_shutdown,
	.dev_groups	= vmbus_dev_groups,
	.bus_groups	= vmbus_bus_groups,
};

/* --- channel sysfs: channels/<relid>/ -------------------------------- */

/**
 * struct vmbus_chan_attr - a file in channels/<relid>/
 * @attr: the sysfs attribute
 * @show: prints it
 * @store: changes it (writable files only)
 */
struct vmbus_chan_attr {
	struct attribute attr;
	ssize_t (*show)(struct vmbus_channel *chan, char *buf);
	ssize_t (*store)(struct vmbus_channel *chan, const char *buf,
			 size_t count);
};

#define to_chan_attr(a)	container_of(a, struct vmbus_chan_attr, attr)
#define to_chan(k)	container_of(k, struct vmbus_channel, kobj)

#define VMBUS_CHAN_ATTR(_name)						\
static struct vmbus_chan_attr chan_attr_##_name = {			\
	.attr = { .name = __stringify(_name), .mode = 0444 },		\
	.show = chan_##_name##_show,					\
}

static ssize_t chan_cpu_show(struct vmbus_channel *chan, char *buf)
{
	return sysfs_emit(buf, "%u\n", vmbus_chan_cpu(chan));
}

/*
 * Moving a channel's interrupts to another CPU (MODIFYCHANNEL). The CPU
 * cannot go offline while the move is under way.
 */
static ssize_t chan_cpu_store(struct vmbus_channel *chan, const char *buf,
			      size_t count)
{
	unsigned int cpu;
	int ret;

	ret = kstrtouint(buf, 0, &cpu);
	if (ret)
		return ret;
	cpus_read_lock();
	ret = vmbus_chan_set_cpu(chan, cpu);
	cpus_read_unlock();
	return ret ? ret : count;
}

static struct vmbus_chan_attr chan_attr_cpu = {
	.attr = { .name = "cpu", .mode = 0644 },
	.show = chan_cpu_show,
	.store = chan_cpu_store,
};

static ssize_t chan_subchannel_id_show(struct vmbus_channel *chan, char *buf)
{
	return sysfs_emit(buf, "%u\n", chan->sub_index);
}
VMBUS_CHAN_ATTR(subchannel_id);

static ssize_t chan_state_show(struct vmbus_channel *chan, char *buf)
{
	return sysfs_emit(buf, "%s\n", vmbus_chan_state_name(chan));
}
VMBUS_CHAN_ATTR(state);

static ssize_t chan_monitor_id_show(struct vmbus_channel *chan, char *buf)
{
	return sysfs_emit(buf, "%d\n", chan->monitored ? chan->monitor_id : -1);
}
VMBUS_CHAN_ATTR(monitor_id);

#define VMBUS_CHAN_RING_ATTR(name, out, field)				\
static ssize_t chan_##name##_show(struct vmbus_channel *chan, char *buf) \
{									\
	return vmbus_chan_ring_show(chan, out, field, buf);		\
}									\
VMBUS_CHAN_ATTR(name)

VMBUS_CHAN_RING_ATTR(out_read_index, true, VMBUS_RING_READ_INDEX);
VMBUS_CHAN_RING_ATTR(out_write_index, true, VMBUS_RING_WRITE_INDEX);
VMBUS_CHAN_RING_ATTR(out_intr_mask, true, VMBUS_RING_INTR_MASK);
VMBUS_CHAN_RING_ATTR(out_pending_send_sz, true, VMBUS_RING_PENDING_SEND_SZ);
VMBUS_CHAN_RING_ATTR(out_read_bytes_avail, true, VMBUS_RING_BYTES_AVAIL);
VMBUS_CHAN_RING_ATTR(in_read_index, false, VMBUS_RING_READ_INDEX);
VMBUS_CHAN_RING_ATTR(in_write_index, false, VMBUS_RING_WRITE_INDEX);
VMBUS_CHAN_RING_ATTR(in_intr_mask, false, VMBUS_RING_INTR_MASK);
VMBUS_CHAN_RING_ATTR(in_pending_send_sz, false, VMBUS_RING_PENDING_SEND_SZ);
VMBUS_CHAN_RING_ATTR(in_read_bytes_avail, false, VMBUS_RING_BYTES_AVAIL);

static struct attribute *vmbus_chan_attrs[] = {
	&chan_attr_cpu.attr,
	&chan_attr_subchannel_id.attr,
	&chan_attr_state.attr,
	&chan_attr_monitor_id.attr,
	&chan_attr_out_read_index.attr,
	&chan_attr_out_write_index.attr,
	&chan_attr_out_intr_mask.attr,
	&chan_attr_out_pending_send_sz.attr,
	&chan_attr_out_read_bytes_avail.attr,
	&chan_attr_in_read_index.attr,
	&chan_attr_in_write_index.attr,
	&chan_attr_in_intr_mask.attr,
	&chan_attr_in_pending_send_sz.attr,
	&chan_attr_in_read_bytes_avail.attr,
	NULL,
};
ATTRIBUTE_GROUPS(vmbus_chan);

static ssize_t vmbus_chan_attr_show(struct kobject *kobj,
				    struct attribute *attr, char *buf)
{
	return to_chan_attr(attr)->show(to_chan(kobj), buf);
}

static ssize_t vmbus_chan_attr_store(struct kobject *kobj,
				     struct attribute *attr, const char *buf,
				     size_t count)
{
	struct vmbus_chan_attr *ca = to_chan_attr(attr);

	if (!ca->store)
		return -EIO;
	return ca->store(to_chan(kobj), buf, count);
}

static const struct sysfs_ops vmbus_chan_sysfs_ops = {
	.show = vmbus_chan_attr_show,
	.store = vmbus_chan_attr_store,
};

static void vmbus_chan_kobj_release(struct kobject *kobj)
{
	vmbus_chan_free(to_chan(kobj));
}

const struct kobj_type vmbus_chan_ktype = {
	.sysfs_ops	= &vmbus_chan_sysfs_ops,
	.release	= vmbus_chan_kobj_release,
	.default_groups	= vmbus_chan_groups,
};

/* --- channel debugfs: hv_vmbus/channel/<relid>/ --------------------- */

static int vmbus_debugfs_atomic64_get(void *data, u64 *val)
{
	*val = atomic64_read(data);
	return 0;
}
DEFINE_DEBUGFS_ATTRIBUTE(vmbus_debugfs_atomic64_fops,
			 vmbus_debugfs_atomic64_get, NULL, "%llu\n");

/* The channel's counters; they go with its channels/<relid>/ folder. */
static void vmbus_chan_debugfs_add(struct vmbus_channel *chan)
{
	struct dentry *dir;
	char name[12];

	snprintf(name, sizeof(name), "%u", chan->relid);
	dir = debugfs_create_dir(name, vmbus_debugfs_chan);
	debugfs_create_file_unsafe("signals", 0444, dir, &chan->stats.signals,
				   &vmbus_debugfs_atomic64_fops);
	debugfs_create_file_unsafe("events", 0444, dir, &chan->stats.events,
				   &vmbus_debugfs_atomic64_fops);
	debugfs_create_file_unsafe("ring_full", 0444, dir,
				   &chan->stats.ring_full,
				   &vmbus_debugfs_atomic64_fops);
	debugfs_create_file_unsafe("dropped", 0444, dir, &chan->stats.dropped,
				   &vmbus_debugfs_atomic64_fops);
}

static void vmbus_chan_debugfs_del(struct vmbus_channel *chan)
{
	char name[12];

	snprintf(name, sizeof(name), "%u", chan->relid);
	debugfs_lookup_and_remove(name, vmbus_debugfs_chan);
}

/**
 * vmbus_chan_sysfs_add() - show a channel under its device's channels/
 * @chan: the channel; with vmbus_conn.lock held
 *
 * Does nothing until the device's channels/ directory exists.
 *
 * Return: 0 or a negative errno.
 */
int vmbus_chan_sysfs_add(struct vmbus_channel *chan)
{
	struct hv_device *hdev = vmbus_chan_device(chan);
	int ret;

	lockdep_assert_held(&vmbus_conn.lock);
	if (chan->kobj_added || !hdev || !hdev->channels_kobj)
		return 0;
	ret = kobject_add(&chan->kobj, hdev->channels_kobj, "%u", chan->relid);
	if (ret)
		return ret;
	chan->kobj_added = true;
	vmbus_chan_debugfs_add(chan);
	return 0;
}

/* With vmbus_conn.lock held. */
void vmbus_chan_sysfs_del(struct vmbus_channel *chan)
{
	lockdep_assert_held(&vmbus_conn.lock);
	if (!chan->kobj_added)
		return;
	vmbus_chan_debugfs_del(chan);
	kobject_del(&chan->kobj);
	chan->kobj_added = false;
}

/* --- device lifetime ------------------------------------------------- */

static void vmbus_device_release(struct device *dev)
{
	struct hv_device *hdev = to_hv_device(dev);

	vmbus_chan_put(hdev->channel);
	kfree(hdev);
}

/**
 * vmbus_device_alloc() - the device of a primary channel
 * @chan: the primary channel; the device takes a reference on it
 *
 * Return: the initialized, not yet added, device or NULL.
 */
struct hv_device *vmbus_device_alloc(struct vmbus_channel *chan)
{
	struct hv_device *hdev = kzalloc(sizeof(*hdev), GFP_KERNEL);

	if (!hdev)
		return NULL;
	hdev->dev_type = chan->offer.if_type;
	hdev->dev_instance = chan->offer.if_instance;
	/* The release below drops this reference, on every path. */
	kobject_get(&chan->kobj);
	hdev->channel = chan;
	device_initialize(&hdev->device);
	hdev->device.bus = &vmbus_bus;
	hdev->device.parent = vmbus_root;
	hdev->device.release = vmbus_device_release;
	if (dev_set_name(&hdev->device, "%pUl", &hdev->dev_instance)) {
		put_device(&hdev->device);
		return NULL;
	}
	chan->device = hdev;
	return hdev;
}

/**
 * vmbus_device_add() - register a device (probing its driver) and its
 *	channels/ directory
 * @hdev: from vmbus_device_alloc()
 *
 * Return: 0 or a negative errno.
 */
int vmbus_device_add(struct hv_device *hdev)
{
	struct vmbus_channel *sc;
	int ret;

	ret = device_add(&hdev->device);
	if (ret)
		return ret;
	mutex_lock(&vmbus_conn.lock);
	hdev->channels_kobj = kobject_create_and_add("channels",
						     &hdev->device.kobj);
	if (hdev->channels_kobj) {
		vmbus_chan_sysfs_add(hdev->channel);
		list_for_each_entry(sc, &hdev->channel->subchannels, sc_node)
			if (!sc->relid_released)
				vmbus_chan_sysfs_add(sc);
	}
	mutex_unlock(&vmbus_conn.lock);
	return 0;
}

/**
 * vmbus_device_remove() - unbind the driver and unregister a device
 * @hdev: the device; it stays allocated (put_device() frees it)
 */
void vmbus_device_remove(struct hv_device *hdev)
{
	struct vmbus_channel *sc;

	if (!device_is_registered(&hdev->device))
		return;
	device_release_driver(&hdev->device);
	mutex_lock(&vmbus_conn.lock);
	list_for_each_entry(sc, &hdev->channel->subchannels, sc_node)
		vmbus_chan_sysfs_del(sc);
	vmbus_chan_sysfs_del(hdev->channel);
	kobject_put(hdev->channels_kobj);
	hdev->channels_kobj = NULL;
	mutex_unlock(&vmbus_conn.lock);
	device_del(&hdev->device);
}

/* --- module ---------------------------------------------------------- */

static int __init vmbus_init(void)
{
	int ret;

	BUILD_BUG_ON(PAGE_SIZE != HV_WIRE_PAGE_SIZE);
	ret = vmbus_conn_init();
	if (ret)
		return ret;
	ret = bus_register(&vmbus_bus);
	if (ret)
		goto conn;
	vmbus_root = root_device_register("vmbus");
	if (IS_ERR(vmbus_root)) {
		ret = PTR_ERR(vmbus_root);
		goto bus;
	}
	/*
	 * Not on Hyper-V: the bus stays empty until a backend module (QEMU +
	 * hvhost: hv_vmbus_emu) attaches through hv_backend_attach().
	 */
	ret = hv_hyperv_init();
	if (ret && ret != -ENODEV)
		goto root;
	return 0;

root:
	root_device_unregister(vmbus_root);
bus:
	bus_unregister(&vmbus_bus);
conn:
	vmbus_conn_exit();
	return ret;
}

static void __exit vmbus_exit(void)
{
	hv_hyperv_exit();
	root_device_unregister(vmbus_root);
	bus_unregister(&vmbus_bus);
	vmbus_conn_exit();
}

module_init(vmbus_init);
module_exit(vmbus_exit);

MODULE_DESCRIPTION("Hyper-V VMBus core");
MODULE_LICENSE("GPL");
