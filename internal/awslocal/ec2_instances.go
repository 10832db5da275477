package awslocal

// Instances are modelled by their network interfaces (eni.instanceID).

// ec2ModifyInstanceAttribute serves the one attribute sgwarden watches:
// GroupId.N, which replaces the groups of the instance's interface. Like
// AWS, it refuses an instance with several interfaces (their groups are
// set per interface) and groups of another VPC. Other attributes are not
// modelled and are refused.
func ec2ModifyInstanceAttribute(rs *regionState, c *call, f form, x *xmlWriter) *APIError {
	id := f.get("InstanceId")
	if id == "" {
		return clientErr("MissingParameter", "The request must contain the parameter InstanceId")
	}
	groups := f.list("GroupId")
	if len(groups) == 0 {
		return clientErr("InvalidParameterCombination", "awslocal models only the GroupId attribute of ModifyInstanceAttribute")
	}
	var attached []*eni
	for _, n := range rs.enis {
		if !n.gone && n.instanceID == id {
			attached = append(attached, n)
		}
	}
	switch len(attached) {
	case 0:
		return clientErr("InvalidInstanceID.NotFound", "The instance ID '%s' does not exist", id)
	case 1:
	default:
		return clientErr("InvalidInstanceID", "There are multiple interfaces attached to instance '%s'. Please specify an interface ID for the operation instead.", id)
	}
	n := attached[0]
	for _, gid := range groups {
		g, aerr := rs.groupByID(gid)
		if aerr != nil {
			return aerr
		}
		if g.vpcID != n.vpcID {
			return clientErr("InvalidGroup.NotFound", "You have specified two resources that belong to different networks.")
		}
	}
	n.groups = append([]string(nil), groups...)
	x.bool("return", true)
	return nil
}
