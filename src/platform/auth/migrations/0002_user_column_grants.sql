-- Users are global and provisioned with the owner connection. Inside a tenant the application role may
-- change a member's display name and password hash, nothing else: not the email that identifies the account,
-- not the platform-administrator flag, and it may not delete an account that other tenants share.
revoke insert, update, delete, truncate on users from prapti_app;
grant update (display_name, password_hash) on users to prapti_app;
